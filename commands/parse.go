package commands

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"guichet.dev/guichet"
)

// msg is a catalogue message id used as an argument of an error: it is rendered in the
// reader's language (see Message).
type msg string

// spec describes one command: its canonical name, the catalogue ids of its usage line, its
// description and example, and its parser.
type spec struct {
	name        string
	usage       msg
	description msg
	example     msg
	// role is who may run it: anyone, a coordinator of some event, or a coordinator of the
	// event it acts on (checked once that event is known; see Handler.run).
	role  role
	parse func(a *args) (Command, error)
}

// role is who may run a command.
type role int

const (
	// roleAnyone: supplier members and everyone (claim, release, mylots, help).
	roleAnyone role = iota
	// roleCoordinator: an administrator or a coordinator of at least one event; for commands
	// not tied to an event (event create, the directory).
	roleCoordinator
	// roleEventCoordinator: an administrator or a coordinator of the event the command acts on.
	roleEventCoordinator
)

// specs lists the commands in the order help shows them: suppliers' commands last.
var specs = []*spec{
	{name: "event create", usage: "HelpUsageEventCreate", description: "HelpDescEventCreate", example: "HelpExampleEventCreate", role: roleCoordinator, parse: parseEventCreate},
	{name: "event list", usage: "HelpUsageEventList", description: "HelpDescEventList", example: "HelpExampleEventList", role: roleCoordinator, parse: noArgs(EventList{})},
	{name: "event show", usage: "HelpUsageEventShow", description: "HelpDescEventShow", example: "HelpExampleEventShow", role: roleEventCoordinator, parse: parseEventShow},
	{name: "event edit", usage: "HelpUsageEventEdit", description: "HelpDescEventEdit", example: "HelpExampleEventEdit", role: roleEventCoordinator, parse: parseEventEdit},
	{name: "event cancel", usage: "HelpUsageEventCancel", description: "HelpDescEventCancel", example: "HelpExampleEventCancel", role: roleEventCoordinator, parse: parseEventCancel},
	{name: "supplier add", usage: "HelpUsageSupplierAdd", description: "HelpDescSupplierAdd", example: "HelpExampleSupplierAdd", role: roleCoordinator, parse: parseSupplierAdd},
	{name: "supplier list", usage: "HelpUsageSupplierList", description: "HelpDescSupplierList", example: "HelpExampleSupplierList", role: roleCoordinator, parse: noArgs(SupplierList{})},
	{name: "supplier import", usage: "HelpUsageSupplierImport", description: "HelpDescSupplierImport", example: "HelpExampleSupplierImport", role: roleCoordinator, parse: noArgs(SupplierImport{})},
	{name: "supplier edit", usage: "HelpUsageQuoteSupplierEdit", description: "HelpDescQuoteSupplierEdit", example: "HelpExampleQuoteSupplierEdit", role: roleCoordinator, parse: parseSupplierEdit},
	{name: "supplier bind", usage: "HelpUsageSupplierBind", description: "HelpDescSupplierBind", example: "HelpExampleSupplierBind", role: roleCoordinator, parse: parseSupplierBind},
	{name: "lot add", usage: "HelpUsageLotAdd", description: "HelpDescLotAdd", example: "HelpExampleLotAdd", role: roleEventCoordinator, parse: parseLotAdd},
	{name: "lot list", usage: "HelpUsageLotList", description: "HelpDescLotList", example: "HelpExampleLotList", role: roleEventCoordinator, parse: parseEventOnly(func(e string) Command { return LotList{Event: e} })},
	{name: "lot cancel", usage: "HelpUsageLotCancel", description: "HelpDescLotCancel", example: "HelpExampleLotCancel", role: roleEventCoordinator, parse: parseLotCancel},
	{name: "lot edit", usage: "HelpUsageLotEdit", description: "HelpDescLotEdit", example: "HelpExampleLotEdit", role: roleEventCoordinator, parse: parseLotEdit},
	{name: "lot import", usage: "HelpUsageLotImport", description: "HelpDescLotImport", example: "HelpExampleLotImport", role: roleEventCoordinator, parse: parseEventOnly(func(e string) Command { return LotImport{Event: e} })},
	{name: "publish", usage: "HelpUsagePublish", description: "HelpDescPublish", example: "HelpExamplePublish", role: roleEventCoordinator, parse: parseEventOnly(func(e string) Command { return Publish{Event: e} })},
	{name: "status", usage: "HelpUsageStatus", description: "HelpDescStatus", example: "HelpExampleStatus", role: roleEventCoordinator, parse: parseEventOnly(func(e string) Command { return Status{Event: e} })},
	{name: "quote", usage: "HelpUsageQuote", description: "HelpDescQuote", example: "HelpExampleQuote", role: roleEventCoordinator, parse: parseEventOnly(func(e string) Command { return Quote{Event: e} })},
	{name: "award", usage: "HelpUsageAward", description: "HelpDescAward", example: "HelpExampleAward", role: roleEventCoordinator, parse: parseAward},
	{name: "decline", usage: "HelpUsageDecline", description: "HelpDescDecline", example: "HelpExampleDecline", role: roleEventCoordinator, parse: parseDecline},
	{name: "remind", usage: "HelpUsageRemind", description: "HelpDescRemind", example: "HelpExampleRemind", role: roleEventCoordinator, parse: parseRemind},
	{name: "recap", usage: "HelpUsageRecap", description: "HelpDescRecap", example: "HelpExampleRecap", role: roleEventCoordinator, parse: parseRecap},
	{name: "invoices", usage: "HelpUsageInvoices", description: "HelpDescInvoices", example: "HelpExampleInvoices", role: roleEventCoordinator, parse: parseEventOnly(func(e string) Command { return InvoiceList{Event: e} })},
	{name: "paid", usage: "HelpUsagePaid", description: "HelpDescPaid", example: "HelpExamplePaid", role: roleEventCoordinator, parse: parsePaid},
	{name: "relaunch", usage: "HelpUsageDeclinesRelaunch", description: "HelpDescDeclinesRelaunch", example: "HelpExampleDeclinesRelaunch", role: roleEventCoordinator, parse: parseRelaunch},
	{name: "promote", usage: "HelpUsageWaitlistPromote", description: "HelpDescWaitlistPromote", example: "HelpExampleWaitlistPromote", role: roleEventCoordinator, parse: parsePromote},
	{name: "adjust", usage: "HelpUsageDeliveredAdjust", description: "HelpDescDeliveredAdjust", example: "HelpExampleDeliveredAdjust", role: roleEventCoordinator, parse: parseAdjust},
	{name: "client-link", usage: "HelpUsageClientLink", description: "HelpDescClientLink", example: "HelpExampleClientLink", role: roleEventCoordinator, parse: parseClientLink},
	{name: "history", usage: "HelpUsageHistory", description: "HelpDescHistory", example: "HelpExampleHistory", role: roleEventCoordinator, parse: parseHistory},
	{name: "coordinator add", usage: "HelpUsageCoordinatorAdd", description: "HelpDescCoordinatorAdd", example: "HelpExampleCoordinatorAdd", role: roleEventCoordinator, parse: parseCoordinatorAdd},
	{name: "coordinator remove", usage: "HelpUsageCoordinatorRemove", description: "HelpDescCoordinatorRemove", example: "HelpExampleCoordinatorRemove", role: roleEventCoordinator, parse: parseCoordinatorRemove},
	{name: "coordinator list", usage: "HelpUsageCoordinatorList", description: "HelpDescCoordinatorList", example: "HelpExampleCoordinatorList", role: roleEventCoordinator, parse: parseEventOnly(func(e string) Command { return CoordinatorList{Event: e} })},
	{name: "claim", usage: "HelpUsageClaim", description: "HelpDescClaim", example: "HelpExampleClaim", parse: parseClaim},
	{name: "release", usage: "HelpUsageRelease", description: "HelpDescRelease", example: "HelpExampleRelease", parse: parseRelease},
	{name: "invoice", usage: "HelpUsageInvoice", description: "HelpDescInvoice", example: "HelpExampleInvoice", parse: parseInvoice},
	{name: "mylots", usage: "HelpUsageMyLots", description: "HelpDescMyLots", example: "HelpExampleMyLots", parse: noArgs(MyLots{})},
	{name: "help", usage: "HelpUsageHelp", description: "HelpDescHelp", example: "HelpExampleHelp", parse: parseHelp},
}

// verbs maps every way of writing a first word (folded: lower-case, no accents) to a
// command's canonical name, or to a group whose second word picks the command.
var verbs = map[string]string{
	"help": "help", "aide": "help", "h": "help", "?": "help",
	"event": "event", "evenement": "event", "evt": "event",
	"supplier": "supplier", "suppliers": "supplier", "fournisseur": "supplier", "structure": "supplier", "structures": "supplier",
	"lot": "lot", "lots": "lot",
	"publish": "publish", "publier": "publish",
	"status": "status", "statut": "status", "etat": "status", "board": "status", "tableau": "status",
	"remind": "remind", "reminder": "remind", "rappel": "remind", "rappeler": "remind",
	"recap": "recap", "bilan": "recap", "recapitulatif": "recap",
	"paid": "paid", "pay": "paid", "payment": "paid", "paye": "paid", "payer": "paid", "paiement": "paid",
	"award": "award", "attribuer": "award",
	"quote": "quote", "devis": "quote",
	"invoice": "invoice", "facture": "invoice", "invoices": "invoices", "factures": "invoices",
	"adjust": "adjust", "ajuster": "adjust", "ajustement": "adjust",
	"promote": "promote", "promouvoir": "promote",
	"decline": "decline", "refuser": "decline",
	"claim": "claim", "prendre": "claim",
	"release": "release", "liberer": "release", "withdraw": "release",
	"mylots": "mylots", "meslots": "mylots", "my-lots": "mylots", "mes-lots": "mylots",
	"history": "history", "historique": "history",
	"client-link": "client-link", "clientlink": "client-link", "lien-client": "client-link", "lienclient": "client-link",
	"relaunch": "relaunch", "relancer": "relaunch", "relance": "relaunch",
	"coordinator": "coordinator", "coordinateur": "coordinator", "coordinatrice": "coordinator", "coordination": "coordinator",
	"cancel": "lot cancel", "annuler": "lot cancel",
}

// groups maps each group's second words to the command's last word.
var groups = map[string]map[string]string{
	"event": {
		"create": "create", "creer": "create", "new": "create", "nouveau": "create",
		"list": "list", "liste": "list", "ls": "list",
		"show": "show", "voir": "show", "afficher": "show", "info": "show",
		"edit": "edit", "modifier": "edit", "changer": "edit", "reporter": "edit", "postpone": "edit",
		"cancel": "cancel", "annuler": "cancel",
	},
	"supplier": {
		"add": "add", "ajouter": "add",
		"list": "list", "liste": "list", "ls": "list",
		"import": "import", "importer": "import",
		"bind": "bind", "lier": "bind", "associer": "bind", "rattacher": "bind",
		"edit": "edit", "modifier": "edit", "changer": "edit", "editer": "edit",
	},
	"lot": {
		"add": "add", "ajouter": "add",
		"list": "list", "liste": "list", "ls": "list",
		"cancel": "cancel", "annuler": "cancel",
		"import": "import", "importer": "import",
		"edit": "edit", "modifier": "edit", "changer": "edit", "editer": "edit",
	},
	"coordinator": {
		"add": "add", "ajouter": "add",
		"remove": "remove", "retirer": "remove", "enlever": "remove", "supprimer": "remove",
		"list": "list", "liste": "list", "ls": "list",
	},
}

// groupSubs lists each group's commands as help writes them.
var groupSubs = map[string]string{
	"event":       "create, list, show, edit, cancel",
	"supplier":    "add, list, import, edit, bind",
	"lot":         "add, list, edit, cancel, import",
	"coordinator": "add, remove, list",
}

func specFor(name string) *spec {
	for _, s := range specs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// Parse reads the text typed after /guichet into a command. Empty text asks for help. Every
// error is an EINVALID *guichet.Error whose message names what is wrong and shows the
// command's right form.
func Parse(text string) (Command, error) {
	toks, err := tokenize(text)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return Help{}, nil
	}
	name, rest, err := resolveName(toks)
	if err != nil {
		return nil, err
	}
	s := specFor(name)
	a, err := newArgs(rest, s.usage)
	if err != nil {
		return nil, err
	}
	return s.parse(a)
}

// resolveName finds the command named by the first one or two words and returns the other
// words.
func resolveName(toks []token) (string, []token, error) {
	first := toks[0]
	if first.key != "" {
		return "", nil, guichet.Errorf(guichet.EINVALID, "CmdUnknown", "Word", first.key+"="+first.value)
	}
	name, ok := verbs[fold(first.value)]
	if !ok {
		return "", nil, guichet.Errorf(guichet.EINVALID, "CmdUnknown", "Word", first.value)
	}
	subs, isGroup := groups[name]
	if !isGroup {
		return name, toks[1:], nil
	}
	if len(toks) < 2 || toks[1].key != "" {
		return "", nil, guichet.Errorf(guichet.EINVALID, "CmdMissingSub", "Group", name, "Subs", groupSubs[name])
	}
	sub, ok := subs[fold(toks[1].value)]
	if !ok {
		return "", nil, guichet.Errorf(guichet.EINVALID, "CmdUnknownSub", "Group", name, "Word", toks[1].value, "Subs", groupSubs[name])
	}
	return name + " " + sub, toks[2:], nil
}

// args holds a command's words once its name is read.
type args struct {
	usage msg
	pos   []string
	opts  map[string]string
	keys  map[string]string // normalised key → key as written
	used  map[string]bool
}

// normKey makes "date_limite", "date-limite" and "Date-Limite" one key.
func normKey(k string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(k)
}

func newArgs(toks []token, usage msg) (*args, error) {
	a := &args{usage: usage, opts: map[string]string{}, keys: map[string]string{}, used: map[string]bool{}}
	for _, t := range toks {
		if t.key == "" {
			a.pos = append(a.pos, t.value)
			continue
		}
		k := normKey(t.key)
		if _, dup := a.opts[k]; dup {
			return nil, guichet.Errorf(guichet.EINVALID, "CmdOptionTwice", "Key", t.key)
		}
		a.opts[k] = strings.TrimSpace(t.value)
		a.keys[k] = t.key
	}
	return a, nil
}

// next takes the next positional word, if any.
func (a *args) next() (string, bool) {
	if len(a.pos) == 0 {
		return "", false
	}
	w := a.pos[0]
	a.pos = a.pos[1:]
	return w, true
}

// need takes the next positional word or fails naming what is missing.
func (a *args) need(what msg) (string, error) {
	w, ok := a.next()
	if !ok || strings.TrimSpace(w) == "" {
		return "", a.missing(what)
	}
	return w, nil
}

// rest takes every remaining positional word, joined by spaces: names may be written without
// quotes.
func (a *args) rest() string {
	s := strings.Join(a.pos, " ")
	a.pos = nil
	return strings.TrimSpace(s)
}

func (a *args) missing(what msg) error {
	return guichet.Errorf(guichet.EINVALID, "CmdMissing", "What", what, "Usage", a.usage)
}

func (a *args) bad(problem error) error {
	return guichet.Errorf(guichet.EINVALID, "CmdBadValue", "Problem", problem, "Usage", a.usage)
}

// opt returns the value of the option written under any of names (normalised keys).
func (a *args) opt(names ...string) (string, bool, error) {
	var val, found string
	for _, n := range names {
		v, ok := a.opts[n]
		if !ok {
			continue
		}
		a.used[n] = true
		if found != "" {
			return "", false, guichet.Errorf(guichet.EINVALID, "CmdOptionTwice", "Key", a.keys[n])
		}
		val, found = v, n
	}
	return val, found != "", nil
}

// finish fails on words left over: a positional word too many, or an option the command does
// not know.
// typed reads the option named by names (see opt), a text of kind that people type for others
// to read, and refuses it with kind's message when it is longer than guichet.MaxNoteLength.
func (a *args) typed(kind guichet.TypedText, names ...string) (string, error) {
	v, _, err := a.opt(names...)
	if err != nil {
		return "", err
	}
	return v, kind.Check(v)
}

func (a *args) finish() error {
	if len(a.pos) > 0 {
		return guichet.Errorf(guichet.EINVALID, "CmdExtra", "Word", a.pos[0], "Usage", a.usage)
	}
	var unknown []string
	for k := range a.opts {
		if !a.used[k] {
			unknown = append(unknown, a.keys[k])
		}
	}
	if len(unknown) > 0 {
		first := unknown[0]
		for _, k := range unknown[1:] {
			if k < first {
				first = k
			}
		}
		return guichet.Errorf(guichet.EINVALID, "CmdUnknownOption", "Key", first, "Usage", a.usage)
	}
	return nil
}

func noArgs(c Command) func(a *args) (Command, error) {
	return func(a *args) (Command, error) {
		if err := a.finish(); err != nil {
			return nil, err
		}
		return c, nil
	}
}

// parseEventOnly reads commands whose only argument is an optional event.
func parseEventOnly(build func(event string) Command) func(a *args) (Command, error) {
	return func(a *args) (Command, error) {
		e, _ := a.next()
		if e != "" {
			if err := checkSlug(a, e); err != nil {
				return nil, err
			}
		}
		if err := a.finish(); err != nil {
			return nil, err
		}
		return build(strings.ToLower(e)), nil
	}
}

func checkSlug(a *args, s string) error {
	if !guichet.ValidSlug(strings.ToLower(s)) {
		return a.bad(guichet.Errorf(guichet.EINVALID, "ErrSlug", "Value", s))
	}
	return nil
}

func parseHelp(a *args) (Command, error) {
	words := strings.Fields(a.rest())
	for k := range a.opts {
		a.used[k] = true
	}
	if len(words) == 0 {
		return Help{}, nil
	}
	name, ok := verbs[fold(words[0])]
	if !ok {
		return nil, guichet.Errorf(guichet.EINVALID, "CmdUnknown", "Word", words[0])
	}
	if subs, isGroup := groups[name]; isGroup {
		if len(words) < 2 {
			return Help{Topic: name}, nil
		}
		sub, ok := subs[fold(words[1])]
		if !ok {
			return nil, guichet.Errorf(guichet.EINVALID, "CmdUnknownSub", "Group", name, "Word", words[1], "Subs", groupSubs[name])
		}
		name += " " + sub
	}
	return Help{Topic: name}, nil
}

func parseEventCreate(a *args) (Command, error) {
	if len(a.pos) == 0 && len(a.opts) == 0 {
		return EventCreate{Dialog: true}, nil
	}
	c := EventCreate{}
	slug, err := a.need("CmdArgSlug")
	if err != nil {
		return nil, err
	}
	c.Slug = strings.ToLower(slug)
	if err := checkSlug(a, slug); err != nil {
		return nil, err
	}
	day, err := a.need("CmdArgDate")
	if err != nil {
		return nil, err
	}
	if c.Day, err = parseDay(day); err != nil {
		return nil, a.bad(err)
	}
	if c.Name = a.rest(); c.Name == "" {
		return nil, a.missing("CmdArgEventName")
	}
	if c.Venue, _, err = a.opt("venue", "lieu"); err != nil {
		return nil, err
	}
	if c.Client, _, err = a.opt("client"); err != nil {
		return nil, err
	}
	if c.TimeZone, _, err = a.opt("tz", "timezone", "fuseau"); err != nil {
		return nil, err
	}
	if c.Reminders, _, err = a.opt("reminders", "rappels"); err != nil {
		return nil, err
	}
	if c.Reminders != "" {
		if _, err := guichet.ParseReminders(c.Reminders); err != nil {
			return nil, a.bad(err)
		}
	}
	if c.Locale, _, err = a.opt("locale", "lang", "langue"); err != nil {
		return nil, err
	}
	c.Locale = strings.ToLower(c.Locale)
	if c.Locale != "" && c.Locale != "fr" && c.Locale != "en" {
		return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrLocale", "Value", c.Locale))
	}
	if c.TimeZone != "" {
		e := guichet.Event{TimeZone: c.TimeZone}
		if _, err := e.Location(); err != nil {
			return nil, a.bad(err)
		}
	}
	return c, a.finish()
}

var frenchDateRe = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)

// parseDay reads a day written "2011-04-15" or, the French way, "15/04/2011".
func parseDay(s string) (time.Time, error) {
	if m := frenchDateRe.FindStringSubmatch(s); m != nil {
		s = m[3] + "-" + pad2(m[2]) + "-" + pad2(m[1])
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, guichet.Errorf(guichet.EINVALID, "ErrDate", "Value", s)
	}
	return d, nil
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

var deadlineRe = regexp.MustCompile(`^(.+?)(?:[T ]|\s+)(\d{1,2}[:h]\d{2})$`)

// parseDeadline reads "2011-04-10T18:00", "2011-04-10 18:00" or "10/04/2011 18h00".
func parseDeadline(s string) (*LocalTime, error) {
	bad := guichet.Errorf(guichet.EINVALID, "CmdBadDeadline", "Value", s)
	m := deadlineRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return nil, bad
	}
	d, err := parseDay(strings.TrimSpace(m[1]))
	if err != nil {
		return nil, bad
	}
	hm, ok := guichet.ParseHHMM(m[2])
	if !ok {
		return nil, bad
	}
	h, _ := strconv.Atoi(hm[:2])
	mi, _ := strconv.Atoi(hm[3:])
	return &LocalTime{Year: d.Year(), Month: d.Month(), Day: d.Day(), Hour: h, Minute: mi}, nil
}

func parseEventShow(a *args) (Command, error) {
	e, _ := a.next()
	if e != "" {
		if err := checkSlug(a, e); err != nil {
			return nil, err
		}
	}
	return EventShow{Event: strings.ToLower(e)}, a.finish()
}

// splitList splits a list written "a,b", "a;b" or "a b", dropping empty items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\u00a0' || r == '\t' || r == '\n'
	})
}

var usernameRe = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,63}$`)

// parseUsername reads "@name" or "name".
func parseUsername(s string) (string, error) {
	u := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@"))
	if !usernameRe.MatchString(u) {
		return "", guichet.Errorf(guichet.EINVALID, "ErrUsername", "Value", s)
	}
	return u, nil
}

var channelRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// parseChannel reads "~name" or "name".
func parseChannel(s string) (string, error) {
	c := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "~"))
	if !channelRe.MatchString(c) {
		return "", guichet.Errorf(guichet.EINVALID, "CmdBadChannel", "Value", s)
	}
	return c, nil
}

func parseSupplierAdd(a *args) (Command, error) {
	c := SupplierAdd{Name: a.rest()}
	if c.Name == "" {
		return nil, a.missing("CmdArgSupplierName")
	}
	cats, ok, err := a.opt("categories", "category", "categorie")
	if err != nil {
		return nil, err
	}
	if !ok || len(splitList(cats)) == 0 {
		return nil, a.missing("CmdArgCategories")
	}
	for _, cat := range splitList(cats) {
		cat = strings.ToLower(cat)
		if !guichet.ValidSlug(cat) {
			return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrCategory", "Value", cat))
		}
		c.Categories = append(c.Categories, cat)
	}
	ch, ok, err := a.opt("channel", "canal")
	if err != nil {
		return nil, err
	}
	if ok && ch != "" {
		if c.Channel, err = parseChannel(ch); err != nil {
			return nil, a.bad(err)
		}
	}
	members, _, err := a.opt("members", "member", "membres", "membre")
	if err != nil {
		return nil, err
	}
	for _, m := range splitList(members) {
		u, err := parseUsername(m)
		if err != nil {
			return nil, a.bad(err)
		}
		c.Members = append(c.Members, u)
	}
	return c, a.finish()
}

// parseLotRef reads "DEJ" or "assises-2011/DEJ".
func parseLotRef(s string) (LotRef, error) {
	ev, code, hasEvent := strings.Cut(strings.TrimSpace(s), "/")
	if !hasEvent {
		ev, code = "", ev
	}
	ref := LotRef{Event: strings.ToLower(ev), Code: strings.ToUpper(code)}
	if (hasEvent && !guichet.ValidSlug(ref.Event)) || !guichet.ValidLotCode(ref.Code) {
		return LotRef{}, guichet.Errorf(guichet.EINVALID, "CmdBadLotRef", "Value", s)
	}
	return ref, nil
}

func (a *args) lotRef() (LotRef, error) {
	w, err := a.need("CmdArgLot")
	if err != nil {
		return LotRef{}, err
	}
	ref, err := parseLotRef(w)
	if err != nil {
		return LotRef{}, a.bad(err)
	}
	return ref, nil
}

// parseCount reads a whole number, allowing spaces between thousands ("1 000").
func parseCount(s string) (int64, bool) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(s)
	if s == "" || len(s) > 12 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func parseQuantity(s string) (int64, error) {
	n, ok := parseCount(s)
	if !ok || n < 1 || n > guichet.MaxQuantity {
		return 0, guichet.Errorf(guichet.EINVALID, "ErrQuantity", "Value", s, "Max", guichet.MaxQuantity)
	}
	return n, nil
}

// modes and awardRules map the ways of writing a lot's mode and award rule (folded).
var modes = map[string]guichet.LotMode{
	"exclusive": guichet.Exclusive, "exclusif": guichet.Exclusive, "exclu": guichet.Exclusive,
	"shared": guichet.Shared, "partage": guichet.Shared, "partagee": guichet.Shared,
}

var awardRules = map[string]guichet.AwardRule{
	"first-come": guichet.FirstCome, "firstcome": guichet.FirstCome, "premier": guichet.FirstCome, "premier-arrive": guichet.FirstCome,
	"review": guichet.Review, "choix": guichet.Review, "candidatures": guichet.Review, "examen": guichet.Review,
}

// parseMode reads a lot's mode.
func parseMode(s string) (guichet.LotMode, error) {
	if m, ok := modes[fold(s)]; ok {
		return m, nil
	}
	return "", guichet.Errorf(guichet.EINVALID, "ErrLotMode", "Value", s)
}

// parseAwardRule reads a lot's award rule.
func parseAwardRule(s string) (guichet.AwardRule, error) {
	if r, ok := awardRules[fold(s)]; ok {
		return r, nil
	}
	return "", guichet.Errorf(guichet.EINVALID, "ErrAwardRule", "Value", s)
}

func parseLotAdd(a *args) (Command, error) {
	c := LotAdd{}
	// Either <event> <CODE> "<title>", <event>/<CODE> "<title>" or <CODE> "<title>": the
	// first word is an event when the second is a lot code and a title follows.
	first, err := a.need("CmdArgLotCode")
	if err != nil {
		return nil, err
	}
	codeWord := first
	if len(a.pos) >= 2 && looksLikeEvent(first, a.pos[0]) {
		c.Event = strings.ToLower(first)
		codeWord, _ = a.next()
	}
	ref, err := parseLotRef(codeWord)
	if err != nil {
		return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrLotCode", "Value", codeWord))
	}
	if ref.Event != "" {
		c.Event = ref.Event
	}
	c.Lot.Code = ref.Code
	if c.Lot.Title = a.rest(); c.Lot.Title == "" {
		return nil, a.missing("CmdArgLotTitle")
	}
	cat, ok, err := a.opt("category", "categorie")
	if err != nil {
		return nil, err
	}
	if !ok || cat == "" {
		return nil, a.missing("CmdArgCategory")
	}
	c.Lot.Category = strings.ToLower(cat)
	if !guichet.ValidSlug(c.Lot.Category) {
		return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrCategory", "Value", cat))
	}
	qty, ok, err := a.opt("qty", "quantity", "quantite", "qte")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, a.missing("CmdArgQuantity")
	}
	if c.Lot.Quantity, err = parseQuantity(qty); err != nil {
		return nil, a.bad(err)
	}
	budget, ok, err := a.opt("budget", "budgeteur", "budgeteuros")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, a.missing("CmdArgBudget")
	}
	if c.Lot.Budget, err = guichet.ParseEuros(budget); err != nil {
		return nil, a.bad(err)
	}
	if c.Lot.Unit, _, err = a.opt("unit", "unite"); err != nil {
		return nil, err
	}
	if mode, ok, err := a.opt("mode"); err != nil {
		return nil, err
	} else if ok {
		if c.Lot.Mode, err = parseMode(mode); err != nil {
			return nil, a.bad(err)
		}
	}
	if max, ok, err := a.opt("max", "maxsuppliers", "maxstructures"); err != nil {
		return nil, err
	} else if ok {
		n, isNum := parseCount(max)
		if !isNum || n < 1 || n > 100 {
			return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrMaxSuppliers", "Value", max))
		}
		c.Lot.MaxSuppliers = int(n)
		if c.Lot.Mode == "" && n > 1 {
			c.Lot.Mode = guichet.Shared
		}
	}
	if slot, ok, err := a.opt("slot", "creneau", "horaire"); err != nil {
		return nil, err
	} else if ok {
		if c.Lot.SlotStart, c.Lot.SlotEnd, err = guichet.ParseSlot(slot); err != nil {
			return nil, a.bad(err)
		}
	}
	if day, ok, err := a.opt("day", "jour", "date"); err != nil {
		return nil, err
	} else if ok && !noDeadline[fold(day)] && day != "" {
		d, err := parseDay(day)
		if err != nil {
			return nil, a.bad(err)
		}
		c.Lot.Day = &d
	}
	if rule, ok, err := a.opt("award", "attribution"); err != nil {
		return nil, err
	} else if ok {
		if c.Lot.Award, err = parseAwardRule(rule); err != nil {
			return nil, a.bad(err)
		}
	}
	if dl, ok, err := a.opt("deadline", "datelimite", "limite"); err != nil {
		return nil, err
	} else if ok {
		if c.Deadline, err = parseDeadline(dl); err != nil {
			return nil, a.bad(err)
		}
	}
	if c.Lot.Place, _, err = a.opt("place", "lieu"); err != nil {
		return nil, err
	}
	if c.Lot.Description, _, err = a.opt("description", "desc"); err != nil {
		return nil, err
	}
	return c, a.finish()
}

// looksLikeEvent tells whether first, followed by next, is an event rather than a lot code:
// slugs are written in lower case and often hold dashes, codes in capitals.
func looksLikeEvent(first, next string) bool {
	if !guichet.ValidSlug(strings.ToLower(first)) || !guichet.ValidLotCode(strings.ToUpper(next)) {
		return false
	}
	if strings.Contains(first, "-") || !guichet.ValidLotCode(strings.ToUpper(first)) {
		return true
	}
	return first != strings.ToUpper(first) && next == strings.ToUpper(next)
}

func parseLotCancel(a *args) (Command, error) {
	ref, err := a.lotRef()
	if err != nil {
		return nil, err
	}
	c := LotCancel{Lot: ref}
	if c.Reason, _, err = a.opt("reason", "motif", "raison"); err != nil {
		return nil, err
	}
	if c.Reason == "" {
		c.Reason = a.rest()
	}
	if err := guichet.CancelReason.Check(c.Reason); err != nil {
		return nil, err
	}
	return c, a.finish()
}

// supplierArg reads the structure named by the remaining words or by structure=….
func (a *args) supplierArg() (string, error) {
	name := a.rest()
	opt, ok, err := a.opt("structure", "supplier", "fournisseur")
	if err != nil {
		return "", err
	}
	if ok {
		if name != "" {
			return "", guichet.Errorf(guichet.EINVALID, "CmdExtra", "Word", name, "Usage", a.usage)
		}
		name = opt
	}
	if name == "" {
		return "", a.missing("CmdArgSupplier")
	}
	return name, nil
}

func parseAward(a *args) (Command, error) {
	ref, err := a.lotRef()
	if err != nil {
		return nil, err
	}
	name, err := a.supplierArg()
	if err != nil {
		return nil, err
	}
	return Award{Lot: ref, Supplier: name}, a.finish()
}

func parseDecline(a *args) (Command, error) {
	ref, err := a.lotRef()
	if err != nil {
		return nil, err
	}
	c := Decline{Lot: ref}
	if c.Reason, err = a.typed(guichet.DeclineReason, "reason", "motif", "raison"); err != nil {
		return nil, err
	}
	if c.Supplier, err = a.supplierArg(); err != nil {
		return nil, err
	}
	return c, a.finish()
}

func parseClaim(a *args) (Command, error) {
	ref, err := a.lotRef()
	if err != nil {
		return nil, err
	}
	c := Claim{Lot: ref, Force: a.flag(forceWords)}
	qty, hasPos := a.next()
	qtyOpt, hasOpt, err := a.opt("qty", "quantity", "quantite", "qte")
	if err != nil {
		return nil, err
	}
	if hasPos && hasOpt {
		return nil, guichet.Errorf(guichet.EINVALID, "CmdOptionTwice", "Key", "qty")
	}
	if hasOpt {
		qty = qtyOpt
	}
	if hasPos || hasOpt {
		if c.Quantity, err = parseQuantity(qty); err != nil {
			return nil, a.bad(err)
		}
	}
	if c.Supplier, _, err = a.opt("structure", "supplier", "fournisseur"); err != nil {
		return nil, err
	}
	if c.Note, err = a.typed(guichet.ClaimNote, "note", "devis", "quote", "message"); err != nil {
		return nil, err
	}
	return c, a.finish()
}

func parseRelease(a *args) (Command, error) {
	ref, err := a.lotRef()
	if err != nil {
		return nil, err
	}
	c := Release{Lot: ref}
	if c.Supplier, _, err = a.opt("structure", "supplier", "fournisseur"); err != nil {
		return nil, err
	}
	if c.Reason, err = a.typed(guichet.ReleaseReason, "reason", "motif", "raison"); err != nil {
		return nil, err
	}
	return c, a.finish()
}

func parseHistory(a *args) (Command, error) {
	ref, err := a.lotRef()
	if err != nil {
		return nil, err
	}
	return History{Lot: ref}, a.finish()
}

// coordinatorArgs reads "@user [<event>]".
func (a *args) coordinatorArgs() (username, event string, err error) {
	w, err := a.need("CmdArgUsername")
	if err != nil {
		return "", "", err
	}
	if username, err = parseUsername(w); err != nil {
		return "", "", a.bad(err)
	}
	event, _ = a.next()
	if event != "" {
		if err := checkSlug(a, event); err != nil {
			return "", "", err
		}
	}
	return username, strings.ToLower(event), a.finish()
}

func parseCoordinatorAdd(a *args) (Command, error) {
	u, e, err := a.coordinatorArgs()
	if err != nil {
		return nil, err
	}
	return CoordinatorAdd{Username: u, Event: e}, nil
}

func parseCoordinatorRemove(a *args) (Command, error) {
	u, e, err := a.coordinatorArgs()
	if err != nil {
		return nil, err
	}
	return CoordinatorRemove{Username: u, Event: e}, nil
}

func parseSupplierBind(a *args) (Command, error) {
	name, err := a.supplierArg()
	if err != nil {
		return nil, err
	}
	return SupplierBind{Supplier: name}, a.finish()
}

// previewWords are the ways of asking for a preview, folded and without leading dashes:
// "--preview", "aperçu", "—apercu" (some keyboards turn "--" into a dash).
var previewWords = map[string]bool{"preview": true, "apercu": true}

// preview takes the words that ask for a preview out of the positional words and reports
// whether there was one.
func (a *args) preview() bool {
	found := false
	kept := a.pos[:0]
	for _, w := range a.pos {
		if previewWords[fold(strings.TrimLeft(w, "-\u2013\u2014"))] {
			found = true
			continue
		}
		kept = append(kept, w)
	}
	a.pos = kept
	return found
}

var reminderKindRe = regexp.MustCompile(`^[jJ]-?0*(\d{1,2})$`)

// parseReminderKind reads a reminder written "j7", "J-7" or "j-1": the reminder that many
// days before the event.
func parseReminderKind(s string) (guichet.ReminderKind, error) {
	if m := reminderKindRe.FindStringSubmatch(strings.TrimSpace(s)); m != nil {
		if d, _ := strconv.Atoi(m[1]); d >= 1 && d <= 60 {
			return guichet.ReminderSpec{DaysBefore: d}.Kind(), nil
		}
	}
	return "", guichet.Errorf(guichet.EINVALID, "CmdBadReminderKind", "Value", s)
}

// looksLikeKind tells a mistyped reminder ("j8x", "J-") from an event's slug.
func looksLikeKind(s string) bool {
	return len(s) >= 2 && (s[0] == 'j' || s[0] == 'J') && (s[1] == '-' || s[1] >= '0' && s[1] <= '9')
}

// parseRemind reads "[<event>] <kind> [--preview]"; the event may also follow the kind.
func parseRemind(a *args) (Command, error) {
	c := Remind{Preview: a.preview()}
	kindWord, err := a.need("CmdArgReminderKind")
	if err != nil {
		return nil, err
	}
	if second, ok := a.next(); ok {
		event := kindWord
		if _, err := parseReminderKind(second); err == nil {
			kindWord = second
		} else if _, err := parseReminderKind(kindWord); err == nil {
			event = second
		} else {
			kindWord = second
		}
		if err := checkSlug(a, event); err != nil {
			return nil, err
		}
		c.Event = strings.ToLower(event)
	} else if _, err := parseReminderKind(kindWord); err != nil && !looksLikeKind(kindWord) && guichet.ValidSlug(strings.ToLower(kindWord)) {
		// "remind assises-2011": the event is there, the reminder is not.
		return nil, a.missing("CmdArgReminderKind")
	}
	if c.Kind, err = parseReminderKind(kindWord); err != nil {
		return nil, a.bad(err)
	}
	return c, a.finish()
}

// parseRecap reads "[<event>] [--preview]".
func parseRecap(a *args) (Command, error) {
	c := Recap{Preview: a.preview()}
	if e, ok := a.next(); ok {
		if err := checkSlug(a, e); err != nil {
			return nil, err
		}
		c.Event = strings.ToLower(e)
	}
	return c, a.finish()
}

// amountLike tells whether a word is meant as an amount: digits with the signs, separators
// and currency an amount may be written with ("1320,50", "-5", "450€").
func amountLike(s string) bool {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "€")
	s = strings.TrimSuffix(strings.TrimSpace(s), "EUR")
	digit := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(",.-+ \u00a0\u202f", r):
		default:
			return false
		}
	}
	return digit
}

// currencyWords are the words that may follow an amount written apart: "450 €".
var currencyWords = map[string]bool{"€": true, "eur": true, "euro": true, "euros": true}

// parsePaid reads "<supplier> <amount> [<event>] [note=…]", or the supplier as structure=….
// A supplier's name may be written without quotes: the amount is the last word that is
// written like one.
func parsePaid(a *args) (Command, error) {
	c := Paid{}
	named, hasNamed, err := a.opt("structure", "supplier", "fournisseur")
	if err != nil {
		return nil, err
	}
	if c.Note, err = a.typed(guichet.PaymentNote, "note", "commentaire", "reference", "ref", "motif", "reason"); err != nil {
		return nil, err
	}
	if c.Invoice, _, err = a.opt("facture", "invoice"); err != nil {
		return nil, err
	}
	words := a.pos
	a.pos = nil
	at := -1 // index of the amount in words
	if hasNamed {
		if c.Supplier = strings.TrimSpace(named); c.Supplier == "" {
			return nil, a.missing("CmdArgSupplier")
		}
		if len(words) == 0 {
			return nil, a.missing("CmdArgAmount")
		}
		at = 0
	} else {
		for i := len(words) - 1; i >= 1 && at < 0; i-- {
			if amountLike(words[i]) {
				at = i
			}
		}
		if at < 0 {
			// No word is written like an amount: name the one in the amount's place.
			switch {
			case len(words) == 0 || strings.TrimSpace(strings.Join(words, "")) == "",
				len(words) == 1 && amountLike(words[0]):
				return nil, a.missing("CmdArgSupplier")
			case len(words) == 2, len(words) == 3 && guichet.ValidSlug(strings.ToLower(words[2])):
				at = 1
			default:
				return nil, a.missing("CmdArgAmount")
			}
		}
		if c.Supplier = strings.TrimSpace(strings.Join(words[:at], " ")); c.Supplier == "" {
			return nil, a.missing("CmdArgSupplier")
		}
	}
	amount := words[at]
	// A correction against an invoice is a negative amount: "-120,50".
	negative := c.Invoice != "" && strings.HasPrefix(amount, "-")
	if negative {
		amount = amount[1:]
	}
	if c.Amount, err = guichet.ParseEuros(amount); err != nil {
		return nil, a.bad(err)
	}
	if negative {
		c.Amount = -c.Amount
	}
	if c.Amount == 0 {
		return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrPaymentAmount", "Value", amount))
	}
	rest := words[at+1:]
	if len(rest) > 0 && currencyWords[fold(rest[0])] {
		rest = rest[1:]
	}
	if len(rest) > 0 {
		if err := checkSlug(a, rest[0]); err != nil {
			return nil, err
		}
		c.Event = strings.ToLower(rest[0])
		rest = rest[1:]
	}
	a.pos = rest
	return c, a.finish()
}
