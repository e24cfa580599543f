package bot

import (
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// inertText returns s with its Markdown images and links made plain text: a zero-width space
// goes between "!" and "[" (where an image starts) and after every "]" directly followed by
// "(" (an inline link or image), "[" (a reference link or image) or ":" (a link reference
// definition). Without definitions, a lone "[text]" is text too. So `![](https://…/px)` is no
// longer an image that Mattermost (for its size) and every reader's client would fetch, and
// `[text](url)` no longer a link disguised as text: the brackets and the URL show as typed (a
// bare URL may still be autolinked by Mattermost, visibly, and is fetched by nobody unless
// link previews are on). Everything else is left alone; HTML such as <img> is not rendered by
// Mattermost and shows as typed. Applied twice, it changes nothing the second time.
//
// The bot's own messages use no links or images, so it is applied to whole posts: no text a
// person typed can reach a post without it (see harmlessPost).
func inertText(s string) string {
	if !strings.ContainsAny(s, "[]") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if i+1 == len(s) {
			break
		}
		next := s[i+1]
		if (s[i] == '!' && next == '[') || (s[i] == ']' && (next == '(' || next == '[' || next == ':')) {
			b.WriteString(zeroWidthSpace)
		}
	}
	return b.String()
}

// harmlessText is s with its channel-wide mentions defused (defuseMentions) and its Markdown
// images and links made inert (inertText).
func harmlessText(s string) string {
	return inertText(defuseMentions(s))
}

// harmlessPost makes the parts of a post that Mattermost renders as Markdown harmless: in the
// message and each attachment's pretext and text (the parts Mattermost scans for mentions),
// channel-wide mentions are defused and images and links made inert; in the fields' values,
// which Mattermost renders (and whose images it fetches) but does not scan for mentions,
// images and links are made inert. Titles, footers and buttons are plain text. Names,
// titles, reasons and notes that people type are posted by the bot, which may notify a whole
// channel: a structure's note must neither page the coordination channel nor make its
// readers fetch a URL. The post's props are replaced, not changed in place (a cloned post
// shares them).
func harmlessPost(p *model.Post) {
	p.Message = harmlessText(p.Message)
	atts := p.Attachments()
	if len(atts) == 0 {
		return
	}
	out := make([]*model.MessageAttachment, len(atts))
	changed := false
	for i, a := range atts {
		c := *a
		c.Pretext, c.Text = harmlessText(a.Pretext), harmlessText(a.Text)
		changed = changed || c.Pretext != a.Pretext || c.Text != a.Text
		if len(a.Fields) > 0 {
			c.Fields = make([]*model.MessageAttachmentField, len(a.Fields))
			for j, f := range a.Fields {
				if f == nil {
					continue
				}
				fc := *f
				if v, ok := f.Value.(string); ok {
					if iv := inertText(v); iv != v {
						fc.Value, changed = iv, true
					}
				}
				c.Fields[j] = &fc
			}
		}
		out[i] = &c
	}
	if !changed {
		return
	}
	props := make(model.StringInterface, len(p.GetProps()))
	for k, v := range p.GetProps() {
		props[k] = v
	}
	props[model.PostPropsAttachments] = out
	p.SetProps(props)
}
