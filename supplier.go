package guichet

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Supplier is a structure of the directory (an association, a cooperative…), which outlives
// events.
type Supplier struct {
	ID   int64  `db:"id"`
	Slug string `db:"slug"`
	Name string `db:"name"`
	// Categories are the kinds of lots it serves, e.g. "restauration", "pause-cafe".
	Categories []string `db:"-"`
	// ChannelID is its Mattermost channel; ChannelName the channel's name as typed ("tak-apres").
	ChannelID   string   `db:"channel_id"`
	ChannelName string   `db:"channel_name"`
	Members     []Member `db:"-"`
	// LegalProfile is what the client's documents need of it (legal.go); the directory's
	// import and `supplier edit` fill it.
	LegalProfile
}

// Member is a Mattermost user acting for a supplier.
type Member struct {
	UserID   string `db:"user_id"`
	Username string `db:"username"`
}

// Serves reports whether the supplier serves the category.
func (s *Supplier) Serves(category string) bool {
	for _, c := range s.Categories {
		if c == category {
			return true
		}
	}
	return false
}

// Slugify turns a name into a slug: "Méli-Mélo d'Oser Forêt Vivante" → "meli-melo-d-oser-foret-vivante".
func Slugify(name string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, _ := transform.String(t, strings.ToLower(name))
	var b strings.Builder
	dash := false
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if len(out) > 63 {
		out = strings.TrimSuffix(out[:63], "-")
	}
	return out
}

// Validate checks the supplier and fills its slug from its name when empty. It returns an
// EINVALID *Error naming what is wrong.
func (s *Supplier) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" || len(s.Name) > 200 {
		return Errorf(EINVALID, "ErrSupplierName")
	}
	if s.Slug == "" {
		s.Slug = Slugify(s.Name)
	}
	if !ValidSlug(s.Slug) {
		return Errorf(EINVALID, "ErrSlug", "Value", s.Slug)
	}
	cats := s.Categories[:0]
	for _, c := range s.Categories {
		c = strings.TrimSpace(strings.ToLower(c))
		if c == "" {
			continue
		}
		if !ValidSlug(c) {
			return Errorf(EINVALID, "ErrCategory", "Value", c)
		}
		cats = append(cats, c)
	}
	s.Categories = cats
	if len(s.Categories) == 0 {
		return Errorf(EINVALID, "ErrNoCategory", "Supplier", s.Name)
	}
	return nil
}
