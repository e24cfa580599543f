package commands_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// published loads the Assises fixture, publishes it and has two structures claim: Romsi 110
// lunches (1 320,00 €), Emoqui 150 morning coffees (300,00 €).
func (b *bundle) published(t *testing.T) {
	t.Helper()
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	require.Contains(t, b.run(t, member("romsi.ana"), "c-romsi", "claim DEJ 110"), "1\u202f320,00\u00a0€")
	require.Contains(t, b.run(t, member("emoqui.tom"), "c-emoqui", "claim PCM 150"), "300,00\u00a0€")
}

// rows counts what a command could change: reminder rows and their states, outbox messages,
// audit entries, payments, and the events' states.
func (b *bundle) rows(t *testing.T) map[string]int {
	t.Helper()
	return map[string]int{
		"reminders":      b.count(t, `SELECT count(*) FROM reminders`),
		"reminders sent": b.count(t, `SELECT count(*) FROM reminders WHERE status <> 'due'`),
		"outbox":         b.count(t, `SELECT count(*) FROM outbox`),
		"audit":          b.count(t, `SELECT count(*) FROM audit_trail`),
		"payments":       b.count(t, `SELECT count(*) FROM payments`),
		"events done":    b.count(t, `SELECT count(*) FROM events WHERE status <> 'published'`),
	}
}

func TestRemindPreviewChangesNothingAndSendNowQueuesOnce(t *testing.T) {
	b := setup(t)
	b.assises(t)
	require.Equal(t, "L'événement `assises-2011` n'est pas encore publié\u202f: il n'a pas de rappels. Publiez-le d'abord avec `/guichet publier assises-2011`.",
		b.run(t, coord, coordChannel, "remind j1 --preview"))
	b.run(t, coord, coordChannel, "publish")
	require.Contains(t, b.run(t, member("romsi.ana"), "c-romsi", "claim DEJ 110"), "1\u202f320,00\u00a0€")
	require.Contains(t, b.run(t, member("emoqui.tom"), "c-emoqui", "claim PCM 150"), "300,00\u00a0€")

	before := b.rows(t)
	out := b.run(t, coord, coordChannel, "remind j1 --preview")
	require.Equal(t, before, b.rows(t), "a preview changes nothing")
	require.Contains(t, out, "👁️ **Aperçu du rappel J-1 — Assises métropolitaines de la Politique de la Ville**\u202f: rien n'a été envoyé ni modifié.\n2 structures le recevraient")
	require.Contains(t, out, "- **Coordination** (prévu le jeudi 14 avril 2011, 9 h 00)\u202f: encore à pourvoir\u202f:")
	require.Contains(t, out, "  - `DEJ` Déjeuner\u202f: il manque 340 couverts sur 450")
	require.NotContains(t, out, "`SON`", "a lot nobody took is listed once, for the coordination")
	require.Contains(t, out, "- **Romsi** → @romsi.ana, ~romsi — 1\u202f320,00\u00a0€ (prévu le jeudi 14 avril 2011, 9 h 00)\n  - `DEJ` Déjeuner\u202f: 110 couverts, 12:00-14:00 — 1\u202f320,00\u00a0€")
	require.Contains(t, out, "- **Emoqui** → @emoqui.tom, ~emoqui — 300,00\u00a0€")
	require.NotContains(t, out, "TAK-APRES", "structures without a lot get nothing")
	require.Contains(t, out, "Pour l'envoyer maintenant\u202f: `/guichet rappel assises-2011 j1`.")

	// Sent now, from another channel, the French way.
	out = b.run(t, coord, "c-elsewhere", "rappel assises-2011 J-7")
	require.Equal(t, "📅 Rappel J-7 de **Assises métropolitaines de la Politique de la Ville** envoyé maintenant\u202f: 3 messages en route, pour la coordination et chaque structure qui a un lot attribué. Le rappel programmé ne repartira pas.", out)
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`))
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM reminders WHERE kind = 'j7' AND status = 'sent'`))
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM reminders WHERE kind = 'j1' AND status <> 'due'`), "J-1 stays planned")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'reminder.send_now' AND actor_name = 'coord'`))

	// Its preview now says it would go again.
	out = b.run(t, coord, coordChannel, "remind j7 aperçu")
	require.Contains(t, out, "- **Romsi** → @romsi.ana, ~romsi — 1\u202f320,00\u00a0€ (déjà envoyé le mardi 1er mars 2011, 11 h 00, il repartirait)")
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`))

	require.Equal(t, "«\u202fj3\u202f» n'est pas un rappel de cet événement, dont les rappels sont `J-7@09:00,J-1@09:00`. Écrivez par exemple `/guichet rappel <événement> j1`.",
		b.run(t, coord, coordChannel, "remind j3"))
	require.Contains(t, b.run(t, coord, coordChannel, "remind assises-2011 demain"), "«\u202fdemain\u202f» n'est pas un rappel\u202f: écrivez `j7` (ou `J-7`)")
	require.Contains(t, b.run(t, coord, "c-elsewhere", "remind j1"), "Ce canal n'est lié à aucun événement")
	require.Contains(t, b.run(t, coord, coordChannel, "remind assises-2011"), "Il manque le rappel à envoyer (`j7` ou `j1`).")
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`), "errors send nothing")
}

func TestRecapPreviewChangesNothingThenBilanQueuesIt(t *testing.T) {
	b := setup(t)
	b.published(t)
	before := b.rows(t)
	out := b.run(t, coord, coordChannel, "recap --preview")
	require.Equal(t, before, b.rows(t), "a preview changes nothing")
	require.Contains(t, out, "👁️ **Aperçu**\u202f: rien n'a été publié ni modifié.")
	require.Contains(t, out, "### Bilan — Assises métropolitaines de la Politique de la Ville")
	require.Contains(t, out, "**1\u202f620,00\u00a0€** pour le réseau, répartis entre **2** structures.")
	require.Contains(t, out, "| Romsi | **DEJ** Déjeuner (110 couverts, 1\u202f320,00\u00a0€) | 1\u202f320,00\u00a0€ |")
	require.Equal(t, out, b.run(t, coord, "c-elsewhere", "bilan assises-2011 --apercu"), "the same from anywhere, the French way")

	out = b.run(t, coord, "c-elsewhere", "bilan assises-2011")
	require.Equal(t, "Le bilan de **Assises métropolitaines de la Politique de la Ville** est en route\u202f: il sera publié dans quelques instants dans le canal de coordination, avec le graphique et le fichier CSV.", out)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'recap.publish' AND actor_name = 'coord'`))
	require.Contains(t, b.run(t, coord, coordChannel, "recap nulle-part"), "Aucun événement `nulle-part`")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap'`))

	// The recap is published once: `bilan` again says so and posts nothing.
	require.Equal(t, "Le bilan de «\u202fAssises métropolitaines de la Politique de la Ville\u202f» est déjà publié\u202f: il ne l'est qu'une fois. "+
		"Rien n'a été posté de nouveau. Pour le relire sans rien publier\u202f: `/guichet bilan assises-2011 aperçu`.",
		b.run(t, coord, coordChannel, "bilan"))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'recap.publish'`))
}

func TestPaidRecordsAndShowsWhatRemains(t *testing.T) {
	b := setup(t)
	b.published(t)
	out := b.run(t, coord, coordChannel, "paid Romsi 500")
	require.Equal(t, "💶 Paiement de **500,00\u00a0€** enregistré pour **Romsi** (assises-2011). Convenu\u202f: 1\u202f320,00\u00a0€ · payé\u202f: 500,00\u00a0€ · reste dû\u202f: **820,00\u00a0€**.", out)
	out = b.run(t, coord, "c-elsewhere", `payé « Romsi » "820,00 €" assises-2011 note="solde, virement 12"`)
	require.Contains(t, out, "reste dû\u202f: **0,00\u00a0€**")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM payments`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM payments WHERE note = 'solde, virement 12' AND paid_by = 'coord'`))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'payment.record'`))

	tests := map[string]struct{ text, want string }{
		"too many cents":   {"paid Emoqui 12,345", "«\u202f12,345\u202f» a plus de deux chiffres après la virgule\u202f: un montant s'écrit au centime près, par exemple `12,35`.\nForme attendue\u202f: `/guichet payer \"<structure>\" <montant>"},
		"words":            {"paid Emoqui douze", "«\u202fdouze\u202f» n'est pas un montant en euros. Écrivez par exemple `1 234,50` ou `960`.\nForme attendue\u202f: `/guichet payer"},
		"negative":         {"paiement Emoqui -5", "«\u202f-5\u202f» n'est pas un montant en euros."},
		"zero":             {"paid Emoqui 0", "«\u202f0\u202f» n'est pas un paiement possible\u202f: le montant doit être supérieur à zéro"},
		"no amount":        {"paid Emoqui", "Il manque le montant payé, en euros (par exemple `1320,50`)."},
		"more than due":    {"paid Romsi 1", "Un paiement de 1,00\u00a0€ dépasserait ce qui reste dû à Romsi (0,00\u00a0€\u202f: 1\u202f320,00\u00a0€ convenus, 1\u202f320,00\u00a0€ déjà payés). Rien n'a été enregistré"},
		"nothing agreed":   {"paid Kenja 10", "Kenja n'a aucun lot attribué dans l'événement `assises-2011`\u202f: il n'y a rien à lui payer."},
		"unknown supplier": {"paid Personne 10", "Aucune structure «\u202fPersonne\u202f» dans l'annuaire."},
		"no event here":    {"paid Emoqui 10", "Ce canal n'est lié à aucun événement"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			channel := coordChannel
			if name == "no event here" {
				channel = "c-elsewhere"
			}
			require.Contains(t, b.run(t, coord, channel, tc.text), tc.want)
		})
	}
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM payments`), "refused payments record nothing")

	// An English event answers in English.
	b.run(t, coord, "c-conf", `event create conf 2011-05-20 "City conference" locale=en`)
	b.run(t, coord, "c-conf", "lot add LUN Lunch category=restauration qty=10 unit=meals budget=200")
	b.run(t, coord, "c-conf", "publish")
	require.Contains(t, b.run(t, member("romsi.ana"), "c-romsi", "claim conf/LUN"), "Romsi")
	require.Equal(t, "💶 Payment of **€50.00** recorded for **Romsi** (conf). Agreed: €200.00 · paid: €50.00 · still due: **€150.00**.",
		b.run(t, coord, "c-conf", "paid Romsi 50.00"))
	require.Contains(t, b.run(t, coord, "c-conf", "paid Romsi fifty"), "“fifty” is not an amount in euros")
	require.Contains(t, b.run(t, coord, "c-conf", "remind j1 --preview"), "**Preview of the J-1 reminder — City conference**: nothing was sent or changed.")
}
