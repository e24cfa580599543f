// Package sheettest makes the office files the import benchmarks read.
package sheettest

import (
	"fmt"
	"strings"
)

// FrenchLots returns a lots file of n rows as French Excel saves it: ";" between fields,
// amounts written "1 234,50 €", a long quoted description holding a ";", in UTF-8. Lot codes
// are L0000, L0001…; the same n gives the same bytes.
func FrenchLots(n int) []byte {
	var b strings.Builder
	b.WriteString("code;intitulé;catégorie;quantité;unité;budget (€);mode;max structures;créneau;description\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "L%04d;Lot n°%d;cat%d;%d;pièces;\"1 %03d,50 €\";partagé;3;12:00-14:00;\"Prestation complète, livrée et installée avant l'ouverture ; matériel fourni, équipe sur place, nettoyage compris.\"\n",
			i, i, i%20, 1+i%50, i%1000)
	}
	return []byte(b.String())
}
