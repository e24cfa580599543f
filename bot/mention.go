package bot

import (
	"regexp"

	"github.com/mattermost/mattermost/server/public/model"
)

// channelMention matches the mentions that notify a whole channel: @channel, @all, @here, in
// any case, as whole words.
var channelMention = regexp.MustCompile(`(?i)@(channel|all|here)\b`)

// defuseMentions puts a zero-width space between the "@" and the word of every channel-wide
// mention in s. Mattermost splits words on it, so the mention no longer notifies anyone; the
// text reads the same.
func defuseMentions(s string) string {
	return channelMention.ReplaceAllString(s, "@\u200b$1")
}

// defuseChannelMentions defuses the channel-wide mentions in the parts of a post Mattermost
// scans for mentions (the message, each attachment's pretext and text; titles and fields are
// not scanned). Names, titles, reasons and notes that people type are posted by the bot, which
// may notify a whole channel: a structure's note must not page the coordination channel.
// The post's props are replaced, not changed in place (a cloned post shares them).
func defuseChannelMentions(p *model.Post) {
	p.Message = defuseMentions(p.Message)
	atts := p.Attachments()
	if len(atts) == 0 {
		return
	}
	out := make([]*model.MessageAttachment, len(atts))
	changed := false
	for i, a := range atts {
		c := *a
		c.Pretext, c.Text = defuseMentions(a.Pretext), defuseMentions(a.Text)
		changed = changed || c.Pretext != a.Pretext || c.Text != a.Text
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
