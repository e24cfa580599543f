package commands_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A member records the structure's invoice (with the PDF dropped in a direct message as its
// file), a stranger cannot record one for the structure, and the coordinator pays it and
// corrects a payment with a reason.
func TestInvoiceRecordedAndPaidFromChat(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	romsi := member("romsi.ana")
	require.Contains(t, b.run(t, romsi, "c-romsi", "claim DEJ 100"), "DEJ")
	s, err := b.db.SupplierByRef(b.ctx, "Romsi")
	require.NoError(t, err)
	e, err := b.db.EventBySlug(b.ctx, "assises-2011")
	require.NoError(t, err)
	_, made, err := b.db.SyncOrder(b.ctx, e.ID, s.ID, func(basis *guichet.OrderBasis) (*guichet.OrderDraft, guichet.OrderRender, error) {
		d := &guichet.OrderDraft{EventID: e.ID, SupplierID: s.ID, Content: "v1", Year: 2011}
		for _, sh := range basis.Shares {
			d.Net += sh.Amount
		}
		d.Gross = d.Net
		return d, func(string, int, *guichet.Order) ([]byte, error) { return []byte("%PDF"), nil }, nil
	})
	require.NoError(t, err)
	require.True(t, made)

	out := b.h.HandleCommand(b.ctx, guichet.CommandRequest{Actor: romsi, ChannelID: "dm-romsi", Text: `facture assises-2011 numéro=R-1 montant=100 date=16/04/2011`, FileID: "file-9"}).Text
	require.Contains(t, out, "Facture R-1 de **Romsi** enregistrée")
	require.Contains(t, out, "Échéance\u202f: lundi 16 mai 2011")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM invoices WHERE number = 'R-1' AND file_id = 'file-9'`))

	out = b.run(t, member("stranger"), "c-x", `facture assises-2011 numéro=R-2 montant=100 structure=Romsi`)
	require.Contains(t, out, "Vous n'êtes membre d'aucune structure")
	out = b.run(t, member("takapres.anne"), "c-x", `facture assises-2011 numéro=R-2 montant=100 structure=Romsi`)
	require.Contains(t, out, "Vous n'êtes pas membre de cette structure")
	out = b.run(t, romsi, "c-romsi", `facture assises-2011 numéro=R-1 montant=100`)
	require.Contains(t, out, "déjà enregistré une facture numéro R-1")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM invoices`))

	require.Contains(t, b.run(t, coord, coordChannel, `payer Romsi 60 facture=R-1`), "reste dû 40,00")
	require.Contains(t, b.run(t, coord, coordChannel, `payer Romsi 41 facture=R-1`), "Paiement refusé")
	require.Contains(t, b.run(t, coord, coordChannel, `payer Romsi -10 facture=R-1`), "doit dire pourquoi")
	require.Contains(t, b.run(t, coord, coordChannel, `payer Romsi -10 facture=R-1 motif="en trop"`), "Correction de 10,00")
	require.Contains(t, b.run(t, romsi, "c-romsi", `payer Romsi 10 assises-2011 facture=R-1`), "coordin")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM payments`))
	require.Contains(t, b.run(t, coord, coordChannel, `factures`), "R-1")
}
