package bot

import (
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"
)

// Every form Mattermost 6.7.2 reads as @channel, @all or @here (app/notification.go) is
// defused; forms it reads as something else are left alone.
func TestDefuseMentions(t *testing.T) {
	t.Parallel()
	const z = "\u200b"
	defused := map[string]struct{ in, want string }{
		"channel":                        {"@channel venez", "@" + z + "channel venez"},
		"all and here":                   {"@all et @here", "@" + z + "all et @" + z + "here"},
		"any case":                       {"@CHANNEL @Here @aLL", "@" + z + "CHANNEL @" + z + "Here @" + z + "aLL"},
		"trailing underscore":            {"@all_", "@" + z + "all_"},
		"trailing underscores":           {"@all__ ok", "@" + z + "all__ ok"},
		"trailing full stop":             {"Merci @here.", "Merci @" + z + "here."},
		"trailing colon":                 {"@channel: venez", "@" + z + "channel: venez"},
		"trailing hyphen":                {"@channel-", "@" + z + "channel-"},
		"every trailing separator":       {"@all._-:", "@" + z + "all._-:"},
		"leading separators":             {"_@all .@here :@channel -@all", "_@" + z + "all .@" + z + "here :@" + z + "channel -@" + z + "all"},
		"after sentence punctuation":     {"fin.@all", "fin.@" + z + "all"},
		"between hyphens in a word":      {"x-@here-y", "x-@" + z + "here-y"},
		"after a colon in a word":        {"note:@channel", "note:@" + z + "channel"},
		"after punctuation":              {"(@all) «@here» \"@channel\" ,@all", "(@" + z + "all) «@" + z + "here» \"@" + z + "channel\" ,@" + z + "all"},
		"apostrophe":                     {"@here’s", "@" + z + "here’s"},
		"no-break space":                 {"@all\u00a0!", "@" + z + "all\u00a0!"},
		"new line":                       {"a\n@all\nb", "a\n@" + z + "all\nb"},
		"in Markdown emphasis":           {"**@channel** _@all_ __@here__ ~~@all~~", "**@" + z + "channel** _@" + z + "all_ __@" + z + "here__ ~~@" + z + "all~~"},
		"in a code span (not needed)":    {"`@all`", "`@" + z + "all`"},
		"between colons (not needed)":    {":@all:", ":@" + z + "all:"},
		"escaped at sign":                {`\@all`, `\@` + z + "all"},
		"escaped trailing separator":     {`@all\_`, "@" + z + `all\_`},
		"character reference for the @":  {"&#64;all &#x40;channel &commat;here", "&#64;" + z + "all &#x40;" + z + "channel &commat;" + z + "here"},
		"character references for words": {"@&#97;ll &#64;&#97;&#108;&#108;", "@" + z + "&#97;ll &#64;" + z + "&#97;&#108;&#108;"},
		"character reference separator":  {"fin&#46;@all", "fin&#46;@" + z + "all"},
		"several on one line":            {"@all @all", "@" + z + "all @" + z + "all"},
	}
	untouched := []string{
		"anne@all.fr", "anne@all", "x@all", "é@all", "x_@all", "@alliance", "@allison", "@channel_team",
		"@here2", "@all-x", "@all.x", "@all_x", "@channel@channel", "@coordination", "all channel here",
		"@\u200bchannel", "&#64;alliance", "&amp;#64;all", "Robert'); DROP TABLE lots;--", "",
	}
	for name, tc := range defused {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := defuseMentions(tc.in)
			require.Equal(t, tc.want, got)
			require.Equal(t, got, defuseMentions(got), "defusing twice changes the text")
		})
	}
	for _, in := range untouched {
		t.Run("untouched "+in, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, in, defuseMentions(in))
		})
	}
}

func TestHarmlessPost(t *testing.T) {
	t.Parallel()
	orig := &model.Post{Message: "Note\u202f: @channel ![](http://x/px)"}
	orig.AddProp("from_test", "yes")
	model.ParseMessageAttachment(orig, []*model.MessageAttachment{{
		Pretext: "@all", Title: "@here title", Text: "@here text [lien](http://x)",
		Fields:  []*model.MessageAttachmentField{{Title: "@channel", Value: "@channel ![a](http://x/px)"}},
		Actions: []*model.PostAction{{Id: "claim", Name: "Je prends"}},
	}})
	p := orig.Clone()
	harmlessPost(p)

	require.Equal(t, "Note\u202f: @\u200bchannel !\u200b[]\u200b(http://x/px)", p.Message)
	a := p.Attachments()[0]
	require.Equal(t, "@\u200ball", a.Pretext)
	require.Equal(t, "@\u200bhere text [lien]\u200b(http://x)", a.Text)
	require.Equal(t, "@here title", a.Title, "titles are plain text, not scanned for mentions")
	require.Equal(t, "@channel !\u200b[a]\u200b(http://x/px)", a.Fields[0].Value, "field values are rendered, not scanned for mentions")
	require.Equal(t, "claim", a.Actions[0].Id)
	require.Equal(t, "yes", p.GetProp("from_test"))

	// The original post, whose props the clone shared, is unchanged.
	require.Equal(t, "Note\u202f: @channel ![](http://x/px)", orig.Message)
	require.Equal(t, "@all", orig.Attachments()[0].Pretext)
	require.Equal(t, "@channel ![a](http://x/px)", orig.Attachments()[0].Fields[0].Value)
}
