package bot

import (
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"
)

func TestDefuseMentions(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ in, want string }{
		"channel":             {"@channel venez", "@\u200bchannel venez"},
		"all and here":        {"@all et @here", "@\u200ball et @\u200bhere"},
		"any case":            {"@CHANNEL @Here", "@\u200bCHANNEL @\u200bHere"},
		"end of sentence":     {"Merci @channel.", "Merci @\u200bchannel."},
		"inside a word":       {"x@all-y", "x@\u200ball-y"},
		"in Markdown":         {"**@channel**", "**@\u200bchannel**"},
		"a user named so":     {"@allison @channel_team @here2", "@allison @channel_team @here2"},
		"a user mention":      {"@coordination", "@coordination"},
		"nothing to defuse":   {"Robert'); DROP TABLE lots;--", "Robert'); DROP TABLE lots;--"},
		"already defused":     {"@\u200bchannel", "@\u200bchannel"},
		"empty":               {"", ""},
		"several on one line": {"@channel@channel", "@\u200bchannel@\u200bchannel"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, defuseMentions(tc.in))
		})
	}
}

func TestDefuseChannelMentionsInAPost(t *testing.T) {
	t.Parallel()
	orig := &model.Post{Message: "Note : @channel"}
	orig.AddProp("from_test", "yes")
	model.ParseMessageAttachment(orig, []*model.MessageAttachment{{
		Pretext: "@all", Title: "@here title", Text: "@here text",
		Fields:  []*model.MessageAttachmentField{{Title: "@channel", Value: "@channel"}},
		Actions: []*model.PostAction{{Id: "claim", Name: "Je prends"}},
	}})
	p := orig.Clone()
	defuseChannelMentions(p)

	require.Equal(t, "Note : @\u200bchannel", p.Message)
	a := p.Attachments()[0]
	require.Equal(t, "@\u200ball", a.Pretext)
	require.Equal(t, "@\u200bhere text", a.Text)
	require.Equal(t, "@here title", a.Title, "titles are not scanned for mentions")
	require.Equal(t, "claim", a.Actions[0].Id)
	require.Equal(t, "yes", p.GetProp("from_test"))

	// The original post, whose props the clone shared, is unchanged.
	require.Equal(t, "Note : @channel", orig.Message)
	require.Equal(t, "@all", orig.Attachments()[0].Pretext)
}
