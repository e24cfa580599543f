package bot

import (
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/shared/markdown"
	"github.com/stretchr/testify/require"
)

// Markdown images and links in a text are shown as typed, not rendered: checked against the
// Markdown parser Mattermost uses to find the images it fetches and the links it shows.
func TestInertText(t *testing.T) {
	t.Parallel()
	const z = "\u200b"
	cases := map[string]struct{ in, want string }{
		"image":                    {"![](https://traceur.example/px)", "!" + z + "[]" + z + "(https://traceur.example/px)"},
		"image with alt":           {"voir ![logo](http://127.0.0.1:9/px.png) ici", "voir !" + z + "[logo]" + z + "(http://127.0.0.1:9/px.png) ici"},
		"link":                     {"[cliquez ici](https://banque.example)", "[cliquez ici]" + z + "(https://banque.example)"},
		"link with title":          {`[a](http://x "titre")`, "[a]" + z + `(http://x "titre")`},
		"link in angle brackets":   {"[a](<http://x y>)", "[a]" + z + "(<http://x y>)"},
		"image inside a link":      {"[![a](http://x/i)](http://x)", "[!" + z + "[a]" + z + "(http://x/i)]" + z + "(http://x)"},
		"reference link":           {"[a][1]\n\n[1]: http://x", "[a]" + z + "[1]\n\n[1]" + z + ": http://x"},
		"reference image":          {"![a][1]\n\n[1]: http://x/px", "!" + z + "[a]" + z + "[1]\n\n[1]" + z + ": http://x/px"},
		"collapsed reference":      {"[a][]\n[a]: http://x", "[a]" + z + "[]\n[a]" + z + ": http://x"},
		"shortcut reference":       {"[a]\n\n[a]: http://x", "[a]\n\n[a]" + z + ": http://x"},
		"definition in a quote":    {"> [a]: http://x", "> [a]" + z + ": http://x"},
		"several":                  {"![](a)![](b)", "!" + z + "[]" + z + "(a)!" + z + "[]" + z + "(b)"},
		"HTML is shown as typed":   {`<img src="http://x/px">`, `<img src="http://x/px">`},
		"brackets alone":           {"[DEJ] (2 parts) ! [ok]", "[DEJ] (2 parts) ! [ok]"},
		"a bare URL":               {"https://x.example/px.png", "https://x.example/px.png"},
		"nothing to do":            {"Merci, à demain !", "Merci, à demain !"},
		"empty":                    {"", ""},
		"trailing bracket or bang": {"a]", "a]"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := inertText(tc.in)
			require.Equal(t, tc.want, got)
			require.Equal(t, got, inertText(got), "making inert twice changes the text")
			require.Equal(t, tc.in, strings.ReplaceAll(got, z, ""), "the text reads as typed")
			markdown.Inspect(got, func(node any) bool {
				switch n := node.(type) {
				case *markdown.InlineImage, *markdown.ReferenceImage, *markdown.InlineLink, *markdown.ReferenceLink:
					t.Errorf("%q still renders a %T", got, n)
				}
				return true
			})
		})
	}
}

// The parser the test relies on does see the images and links before they are made inert.
func TestInertTextCheckIsMeaningful(t *testing.T) {
	t.Parallel()
	found := 0
	for _, in := range []string{"![](http://x/px)", "[a](http://x)", "[a][1]\n\n[1]: http://x", "![a][1]\n\n[1]: http://x"} {
		markdown.Inspect(in, func(node any) bool {
			switch node.(type) {
			case *markdown.InlineImage, *markdown.ReferenceImage, *markdown.InlineLink, *markdown.ReferenceLink:
				found++
			}
			return true
		})
	}
	require.Equal(t, 4, found)
}
