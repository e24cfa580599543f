package commands

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParse(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		text string
		want Command
	}{
		"empty asks for help":       {"", Help{}},
		"help":                      {"help", Help{}},
		"aide":                      {"aide", Help{}},
		"aide on a group":           {"aide lot", Help{Topic: "lot"}},
		"aide on a command":         {"aide lot ajouter", Help{Topic: "lot add"}},
		"aide on an alias":          {"aide prendre", Help{Topic: "claim"}},
		"help on cancel":            {"help annuler", Help{Topic: "lot cancel"}},
		"event create with no args": {"event create", EventCreate{Dialog: true}},
		"événement créer, accents":  {"Événement Créer", EventCreate{Dialog: true}},
		"event create": {`event create assises-2011 2011-04-15 "Assises métropolitaines" venue="Cité des Congrès, Nantes" client="Nantes Métropole" tz=Europe/Paris reminders=J-7@09:00,J-1@09:00`,
			EventCreate{Slug: "assises-2011", Day: day(2011, 4, 15), Name: "Assises métropolitaines", Venue: "Cité des Congrès, Nantes", Client: "Nantes Métropole", TimeZone: "Europe/Paris", Reminders: "J-7@09:00,J-1@09:00"}},
		"event create, French date and guillemets": {`evenement creer assises 15/04/2011 « Assises de la ville » lieu=« Nantes » langue=en`,
			EventCreate{Slug: "assises", Day: day(2011, 4, 15), Name: "Assises de la ville", Venue: "Nantes", Locale: "en"}},
		"event create, curly quotes and unquoted name": {`event create x 2011-04-15 Les “grandes” Assises`,
			EventCreate{Slug: "x", Day: day(2011, 4, 15), Name: "Les grandes Assises"}},
		"event list":      {"event list", EventList{}},
		"evenement liste": {"evenement liste", EventList{}},
		"event show here": {"event show", EventShow{}},
		"event show slug": {"event voir Assises-2011", EventShow{Event: "assises-2011"}},
		"supplier add": {`supplier add "Le Goût des Autres" categories=restauration,pause-cafe channel=~gout-des-autres members=@jo,@ana`,
			SupplierAdd{Name: "Le Goût des Autres", Categories: []string{"restauration", "pause-cafe"}, Channel: "gout-des-autres", Members: []string{"jo", "ana"}}},
		"structure ajouter, apostrophe is not a quote": {`structure ajouter L'Équipage catégories=librairie canal=equipage membres="@remi @eva"`,
			SupplierAdd{Name: "L'Équipage", Categories: []string{"librairie"}, Channel: "equipage", Members: []string{"remi", "eva"}}},
		"fournisseur liste": {"fournisseur liste", SupplierList{}},
		"supplier import":   {"supplier import", SupplierImport{}},
		"lot add with event": {`lot add assises-2011 DEJ "Déjeuner" category=restauration qty=450 unit=couverts budget="5 400" mode=shared max=4 slot=12:00-14:00 award=review deadline=2011-04-10T18:00`,
			LotAdd{Event: "assises-2011", Lot: guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Unit: "couverts", Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 4, SlotStart: "12:00", SlotEnd: "14:00", Award: guichet.Review},
				Deadline: &LocalTime{Year: 2011, Month: 4, Day: 10, Hour: 18}}},
		"lot add in the channel's event": {`lot ajouter dej Déjeuner chaud catégorie=restauration quantité=450 budget=5400,50`,
			LotAdd{Lot: guichet.Lot{Code: "DEJ", Title: "Déjeuner chaud", Category: "restauration", Quantity: 450, Budget: 540050}}},
		"lot add with event/code": {`lot add assises/PAI "Pain" category=boulangerie qty=450 budget=450 mode=exclusif attribution=choix date-limite="10/04/2011 9h30"`,
			LotAdd{Event: "assises", Lot: guichet.Lot{Code: "PAI", Title: "Pain", Category: "boulangerie", Quantity: 450, Budget: 45000, Mode: guichet.Exclusive, Award: guichet.Review},
				Deadline: &LocalTime{Year: 2011, Month: 4, Day: 10, Hour: 9, Minute: 30}}},
		"lot add, code in capitals before a one-word title": {`lot add PAI Pain du jour category=boulangerie qty=1 budget=1`,
			LotAdd{Lot: guichet.Lot{Code: "PAI", Title: "Pain du jour", Category: "boulangerie", Quantity: 1, Budget: 100}}},
		"lot add, max implies shared": {`lot add DEJ Déjeuner category=restauration qty=450 budget=5400 max=3`,
			LotAdd{Lot: guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 3}}},
		"lot list":                   {"lot list", LotList{}},
		"lots liste event":           {"lots liste assises-2011", LotList{Event: "assises-2011"}},
		"lot cancel":                 {`lot cancel assises-2011/DEJ reason="Traiteur de la salle imposé"`, LotCancel{Lot: LotRef{Event: "assises-2011", Code: "DEJ"}, Reason: "Traiteur de la salle imposé"}},
		"annuler, reason as words":   {`annuler dej salle fermée`, LotCancel{Lot: LotRef{Code: "DEJ"}, Reason: "salle fermée"}},
		"lot import":                 {"lot import", LotImport{}},
		"lot importer event":         {"lot importer assises-2011", LotImport{Event: "assises-2011"}},
		"publish":                    {"publish", Publish{}},
		"publier event":              {"publier assises-2011", Publish{Event: "assises-2011"}},
		"status":                     {"status", Status{}},
		"tableau":                    {"tableau assises-2011", Status{Event: "assises-2011"}},
		"remind":                     {"remind j7", Remind{Kind: "j7"}},
		"remind event preview":       {"remind assises-2011 j1 --preview", Remind{Event: "assises-2011", Kind: "j1", Preview: true}},
		"rappel J-7 aperçu":          {"rappel J-7 aperçu", Remind{Kind: "j7", Preview: true}},
		"rappeler kind then event":   {"rappeler j-1 Assises-2011", Remind{Event: "assises-2011", Kind: "j1"}},
		"remind em dash preview":     {"remind —preview J07", Remind{Kind: "j7", Preview: true}},
		"remind a reminder of J-14":  {"remind j14", Remind{Kind: "j14"}},
		"recap":                      {"recap", Recap{}},
		"recap event preview":        {"recap assises-2011 --preview", Recap{Event: "assises-2011", Preview: true}},
		"bilan is the recap":         {"bilan Assises-2011", Recap{Event: "assises-2011"}},
		"récap apercu":               {"récap --apercu", Recap{Preview: true}},
		"paid":                       {`paid "Le Goût des Autres" 1320,50`, Paid{Supplier: "Le Goût des Autres", Amount: 132050}},
		"payé unquoted with event":   {`payé Le Goût des Autres 1320.5 assises-2011 note="virement 12"`, Paid{Supplier: "Le Goût des Autres", Amount: 132050, Event: "assises-2011", Note: "virement 12"}},
		"paiement spaced amount":     {`paiement « Romsi » "1 320 €"`, Paid{Supplier: "Romsi", Amount: 132000}},
		"paid euro sign apart":       {`paid Romsi 450 € assises-2011`, Paid{Supplier: "Romsi", Amount: 45000, Event: "assises-2011"}},
		"paid name ending in digits": {`paid Atelier 21 "1 200"`, Paid{Supplier: "Atelier 21", Amount: 120000}},
		"paid structure=":            {`paid 450 assises-2011 structure="Regart's" facture=F-12`, Paid{Supplier: "Regart's", Amount: 45000, Event: "assises-2011", Invoice: "F-12"}},
		"paid correction":            {`payer Romsi -120,50 facture=F-12 motif="saisi deux fois"`, Paid{Supplier: "Romsi", Amount: -12050, Invoice: "F-12", Note: "saisi deux fois"}},
		"invoice":                    {`facture assises-2027 numéro=F-2027-012 montant="1 320,50" date=20/04/2027`, InvoiceRecord{Event: "assises-2027", Number: "F-2027-012", Gross: 132050, Day: "20/04/2027"}},
		"invoice english":            {`invoice number=F1 amount=10.5 structure=Romsi`, InvoiceRecord{Supplier: "Romsi", Number: "F1", Gross: 1050}},
		"invoices":                   {`factures assises-2027`, InvoiceList{Event: "assises-2027"}},
		"état":                       {"état", Status{}},
		"award":                      {`award DEJ "Le Goût des Autres"`, Award{Lot: LotRef{Code: "DEJ"}, Supplier: "Le Goût des Autres"}},
		"attribuer unquoted":         {`attribuer assises/DEJ Le Goût des Autres`, Award{Lot: LotRef{Event: "assises", Code: "DEJ"}, Supplier: "Le Goût des Autres"}},
		"award with structure=":      {`award DEJ structure=Romsi`, Award{Lot: LotRef{Code: "DEJ"}, Supplier: "Romsi"}},
		"decline":                    {`decline DEJ Romsi reason="Trop loin"`, Decline{Lot: LotRef{Code: "DEJ"}, Supplier: "Romsi", Reason: "Trop loin"}},
		"refuser motif":              {`refuser DEJ « Romsi » motif=« Trop loin »`, Decline{Lot: LotRef{Code: "DEJ"}, Supplier: "Romsi", Reason: "Trop loin"}},
		"claim whole":                {"claim DEJ", Claim{Lot: LotRef{Code: "DEJ"}}},
		"prendre share":              {`prendre dej 100 structure="Kenja"`, Claim{Lot: LotRef{Code: "DEJ"}, Quantity: 100, Supplier: "Kenja"}},
		"claim qty= and note":        {`claim assises/DEJ qty="1 000" note="devis 12"`, Claim{Lot: LotRef{Event: "assises", Code: "DEJ"}, Quantity: 1000, Note: "devis 12"}},
		"claim with spaced qty":      {`claim DEJ "1 000"`, Claim{Lot: LotRef{Code: "DEJ"}, Quantity: 1000}},
		"release":                    {"release DEJ", Release{Lot: LotRef{Code: "DEJ"}}},
		"libérer with reason":        {`libérer DEJ motif="camion en panne" structure=Romsi`, Release{Lot: LotRef{Code: "DEJ"}, Reason: "camion en panne", Supplier: "Romsi"}},
		"mylots":                     {"mylots", MyLots{}},
		"meslots":                    {"meslots", MyLots{}},
		"history":                    {"history DEJ", History{Lot: LotRef{Code: "DEJ"}}},
		"historique event/code":      {"historique assises-2011/dej", History{Lot: LotRef{Event: "assises-2011", Code: "DEJ"}}},
		"coordinator add":            {"coordinator add @Marie.Dupont", CoordinatorAdd{Username: "marie.dupont"}},
		"coordination ajouter":       {"coordination ajouter marie", CoordinatorAdd{Username: "marie"}},
		"coordinator add event":      {"coordinator add @marie Assises-2011", CoordinatorAdd{Username: "marie", Event: "assises-2011"}},
		"coordinator remove":         {"coordinator remove @marie", CoordinatorRemove{Username: "marie"}},
		"coordinateur retirer":       {"coordinateur retirer @marie assises-2011", CoordinatorRemove{Username: "marie", Event: "assises-2011"}},
		"coordinator list":           {"coordinator list", CoordinatorList{}},
		"coordination liste event":   {"coordination liste assises-2011", CoordinatorList{Event: "assises-2011"}},
		"supplier bind":              {`supplier bind "Le Goût des Autres"`, SupplierBind{Supplier: "Le Goût des Autres"}},
		"structure lier":             {"structure lier Romsi", SupplierBind{Supplier: "Romsi"}},
		"extra spaces and newlines":  {"  claim\u00a0 DEJ \n 5 ", Claim{Lot: LotRef{Code: "DEJ"}, Quantity: 5}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.text)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		text string
		id   string
		args map[string]any
	}{
		"unknown command":           {"bonjour", "CmdUnknown", map[string]any{"Word": "bonjour"}},
		"option first":              {"qty=3", "CmdUnknown", map[string]any{"Word": "qty=3"}},
		"group without sub":         {"event", "CmdMissingSub", map[string]any{"Group": "event"}},
		"group with unknown sub":    {"lot delete DEJ", "CmdUnknownSub", map[string]any{"Group": "lot", "Word": "delete"}},
		"unclosed quote":            {`event create x 2011-04-15 "Assises`, "CmdUnclosedQuote", map[string]any{"Quote": `"`}},
		"unclosed guillemet":        {`supplier add « Romsi categories=a`, "CmdUnclosedQuote", map[string]any{"Close": "»"}},
		"event create no date":      {"event create assises", "CmdMissing", map[string]any{"What": msg("CmdArgDate"), "Usage": msg("HelpUsageEventCreate")}},
		"event create no name":      {"event create assises 2011-04-15", "CmdMissing", map[string]any{"What": msg("CmdArgEventName")}},
		"event create bad slug":     {`event create "Assises 2011" 2011-04-15 x`, "CmdBadValue", nil},
		"event create bad date":     {"event create assises 2011-13-45 Assises", "CmdBadValue", nil},
		"event create bad tz":       {"event create assises 2011-04-15 Assises tz=Mars/Olympus", "CmdBadValue", nil},
		"event create bad locale":   {"event create assises 2011-04-15 Assises locale=de", "CmdBadValue", nil},
		"event create bad remind":   {"event create assises 2011-04-15 Assises reminders=J-99@09:00", "CmdBadValue", nil},
		"event create unknown opt":  {"event create assises 2011-04-15 Assises colour=red", "CmdUnknownOption", map[string]any{"Key": "colour"}},
		"option twice":              {"event create assises 2011-04-15 Assises venue=a lieu=b", "CmdOptionTwice", nil},
		"same option twice":         {"claim DEJ note=a note=b", "CmdOptionTwice", map[string]any{"Key": "note"}},
		"event list extra":          {"event list now", "CmdExtra", map[string]any{"Word": "now"}},
		"event show bad slug":       {"event show Été!", "CmdBadValue", nil},
		"supplier add no name":      {"supplier add categories=a", "CmdMissing", map[string]any{"What": msg("CmdArgSupplierName")}},
		"supplier add no cats":      {"supplier add Romsi", "CmdMissing", map[string]any{"What": msg("CmdArgCategories")}},
		"supplier add bad cat":      {"supplier add Romsi categories=Pause_Café", "CmdBadValue", nil},
		"supplier add bad member":   {"supplier add Romsi categories=a members=@1x", "CmdBadValue", nil},
		"supplier add bad channel":  {"supplier add Romsi categories=a channel=~a/b", "CmdBadValue", nil},
		"lot add nothing":           {"lot add", "CmdMissing", map[string]any{"What": msg("CmdArgLotCode")}},
		"lot add bad code":          {"lot add déj Déjeuner category=a qty=1 budget=1", "CmdBadValue", nil},
		"lot add no title":          {"lot add DEJ category=a qty=1 budget=1", "CmdMissing", map[string]any{"What": msg("CmdArgLotTitle")}},
		"lot add no category":       {"lot add DEJ Déjeuner qty=1 budget=1", "CmdMissing", map[string]any{"What": msg("CmdArgCategory")}},
		"lot add no qty":            {"lot add DEJ Déjeuner category=a budget=1", "CmdMissing", map[string]any{"What": msg("CmdArgQuantity")}},
		"lot add no budget":         {"lot add DEJ Déjeuner category=a qty=1", "CmdMissing", map[string]any{"What": msg("CmdArgBudget")}},
		"lot add qty zero":          {"lot add DEJ Déjeuner category=a qty=0 budget=1", "CmdBadValue", nil},
		"lot add qty words":         {"lot add DEJ Déjeuner category=a qty=beaucoup budget=1", "CmdBadValue", nil},
		"lot add budget cents":      {"lot add DEJ Déjeuner category=a qty=1 budget=12,345", "CmdBadValue", nil},
		"lot add budget negative":   {"lot add DEJ Déjeuner category=a qty=1 budget=-5", "CmdBadValue", nil},
		"lot add bad mode":          {"lot add DEJ Déjeuner category=a qty=1 budget=1 mode=moitié", "CmdBadValue", nil},
		"lot add bad max":           {"lot add DEJ Déjeuner category=a qty=1 budget=1 max=0", "CmdBadValue", nil},
		"lot add bad slot":          {"lot add DEJ Déjeuner category=a qty=1 budget=1 slot=14:00-12:00", "CmdBadValue", nil},
		"lot add bad award":         {"lot add DEJ Déjeuner category=a qty=1 budget=1 award=lottery", "CmdBadValue", nil},
		"lot add bad deadline":      {"lot add DEJ Déjeuner category=a qty=1 budget=1 deadline=tomorrow", "CmdBadValue", nil},
		"lot add unknown option":    {"lot add DEJ Déjeuner category=a qty=1 budget=1 colour=red", "CmdUnknownOption", nil},
		"lot cancel no lot":         {"lot cancel", "CmdMissing", map[string]any{"What": msg("CmdArgLot")}},
		"lot cancel bad ref":        {"lot cancel a/b/c", "CmdBadValue", nil},
		"lot list extra":            {"lot list a b", "CmdExtra", map[string]any{"Word": "b"}},
		"publish bad event":         {"publish Assises_2011", "CmdBadValue", nil},
		"status extra":              {"status a b", "CmdExtra", nil},
		"award no supplier":         {"award DEJ", "CmdMissing", map[string]any{"What": msg("CmdArgSupplier")}},
		"award both":                {"award DEJ Romsi structure=Kenja", "CmdExtra", nil},
		"decline no lot":            {"decline", "CmdMissing", map[string]any{"What": msg("CmdArgLot")}},
		"claim no lot":              {"claim", "CmdMissing", map[string]any{"What": msg("CmdArgLot")}},
		"claim bad qty":             {"claim DEJ -3", "CmdBadValue", nil},
		"claim qty twice":           {"claim DEJ 3 qty=4", "CmdOptionTwice", nil},
		"claim extra":               {"claim DEJ 3 4", "CmdExtra", map[string]any{"Word": "4"}},
		"claim unknown option":      {"claim DEJ for=Kenja", "CmdUnknownOption", map[string]any{"Key": "for"}},
		"release no lot":            {"release", "CmdMissing", nil},
		"release bad lot":           {"release 123", "CmdBadValue", nil},
		"mylots extra":              {"mylots DEJ", "CmdExtra", nil},
		"history no lot":            {"history", "CmdMissing", nil},
		"coordinator add nobody":    {"coordinator add", "CmdMissing", map[string]any{"What": msg("CmdArgUsername")}},
		"coordinator add bad user":  {"coordinator add @", "CmdBadValue", nil},
		"coordinator add bad event": {"coordinator add @marie pas_un_slug!", "CmdBadValue", nil},
		"coordinator add extra":     {"coordinator add @marie a b", "CmdExtra", map[string]any{"Word": "b"}},
		"coordinator remove nobody": {"coordinator remove", "CmdMissing", map[string]any{"What": msg("CmdArgUsername")}},
		"supplier bind nothing":     {"supplier bind", "CmdMissing", map[string]any{"What": msg("CmdArgSupplier")}},
		"help unknown topic":        {"aide bonjour", "CmdUnknown", nil},
		"remind nothing":            {"remind --preview", "CmdMissing", map[string]any{"What": msg("CmdArgReminderKind"), "Usage": msg("HelpUsageRemind")}},
		"remind event only":         {"remind assises-2011", "CmdMissing", map[string]any{"What": msg("CmdArgReminderKind")}},
		"remind bad kind":           {"remind j99", "CmdBadValue", nil},
		"remind kind typo":          {"remind j7x", "CmdBadValue", nil},
		"remind bad kind and event": {"remind assises-2011 demain", "CmdBadValue", nil},
		"remind bad event":          {"remind Été! j7", "CmdBadValue", nil},
		"remind extra":              {"remind assises-2011 j7 maintenant", "CmdExtra", map[string]any{"Word": "maintenant"}},
		"remind unknown option":     {"remind j7 to=romsi", "CmdUnknownOption", map[string]any{"Key": "to"}},
		"recap extra":               {"recap assises-2011 encore", "CmdExtra", map[string]any{"Word": "encore"}},
		"recap bad event":           {"bilan Assises_2011", "CmdBadValue", nil},
		"paid nothing":              {"paid", "CmdMissing", map[string]any{"What": msg("CmdArgSupplier"), "Usage": msg("HelpUsagePaid")}},
		"paid no amount":            {"paid Romsi", "CmdMissing", map[string]any{"What": msg("CmdArgAmount")}},
		"paid structure= only":      {"paid structure=Romsi", "CmdMissing", map[string]any{"What": msg("CmdArgAmount")}},
		"paid amount only":          {"paid 450", "CmdMissing", map[string]any{"What": msg("CmdArgSupplier")}},
		"paid zero":                 {"paid Romsi 0", "CmdBadValue", nil},
		"paid negative":             {"paid Romsi -5", "CmdBadValue", nil},
		"invoice no number":         {"facture montant=10", "CmdMissing", map[string]any{"What": msg("CmdArgInvoiceNumber"), "Usage": msg("HelpUsageInvoice")}},
		"invoice no amount":         {"facture numéro=F1", "CmdMissing", map[string]any{"What": msg("CmdArgAmount")}},
		"invoice zero":              {"facture numéro=F1 montant=0", "CmdBadValue", nil},
		"invoice bad date":          {"facture numéro=F1 montant=10 date=31/02/2027", "CmdBadValue", nil},
		"paid too many cents":       {"paid Romsi 12,345", "CmdBadValue", nil},
		"paid words":                {"paid Romsi douze", "CmdBadValue", nil},
		"paid words and event":      {"paid Romsi douze assises-2011", "CmdBadValue", nil},
		"paid bad event":            {"paid Romsi 12 Été!", "CmdBadValue", nil},
		"paid extra":                {"paid Romsi 12 assises-2011 encore", "CmdExtra", map[string]any{"Word": "encore"}},
		"paid note twice":           {"paid Romsi 12 note=a ref=b", "CmdOptionTwice", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.text)
			require.Error(t, err, "parsed as %#v", got)
			e := guichet.AsError(err)
			require.NotNil(t, e, "not a *guichet.Error: %v", err)
			require.Equal(t, guichet.EINVALID, e.Code)
			require.Equal(t, tc.id, e.MessageID, "%v", e)
			for k, v := range tc.args {
				require.Equal(t, v, e.Args[k], "argument %s of %v", k, e)
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		text string
		want []token
	}{
		"words":                  {"a b  c", []token{{value: "a"}, {value: "b"}, {value: "c"}}},
		"quoted":                 {`"a b" c`, []token{{value: "a b"}, {value: "c"}}},
		"option":                 {`k=v`, []token{{key: "k", value: "v"}}},
		"quoted option value":    {`k="a b"`, []token{{key: "k", value: "a b"}}},
		"guillemets trimmed":     {"k=«\u202fa b\u202f»", []token{{key: "k", value: "a b"}}},
		"quoted equals is text":  {`"a=b"`, []token{{value: "a=b"}}},
		"accented key folded":    {`Catégorie=x`, []token{{key: "categorie", value: "x"}}},
		"value keeps equals":     {`note=a=b`, []token{{key: "note", value: "a=b"}}},
		"empty quotes":           {`""`, []token{{value: ""}}},
		"apostrophe":             {`L'Équipage`, []token{{value: "L'Équipage"}}},
		"quote inside word":      {`ab"c d"e`, []token{{value: "abc de"}}},
		"not a key: bad chars":   {`a.b=c`, []token{{value: "a.b=c"}}},
		"curly double both ways": {`”a b”`, []token{{value: "a b"}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := tokenize(tc.text)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// Every command of the language has its parse test above and its help entry.
func TestEveryCommandIsParsedAndHelped(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, s := range specs {
		require.False(t, seen[s.name], "%s listed twice", s.name)
		seen[s.name] = true
		h, err := Parse("help " + s.name)
		require.NoError(t, err)
		require.Equal(t, Help{Topic: s.name}, h)
	}
	require.Len(t, specs, 37)
}
