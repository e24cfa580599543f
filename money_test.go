package guichet_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestParseEuros(t *testing.T) {
	tests := map[string]struct {
		in   string
		want guichet.Cents
		err  string
	}{
		"whole":                 {"960", 96000, ""},
		"french grouping":       {"1 234,50", 123450, ""},
		"narrow no-break space": {"1\u202f234,5", 123450, ""},
		"dot decimal":           {"1234.05", 123405, ""},
		"euro sign":             {"19 210 €", 1921000, ""},
		"cents only":            {",99", 99, ""},
		"fraction of a cent":    {"12,345", 0, "ErrAmountCents"},
		"negative":              {"-5", 0, "ErrAmount"},
		"letters":               {"douze", 0, "ErrAmount"},
		"empty":                 {"", 0, "ErrAmount"},
		"trailing separator":    {"12,", 0, "ErrAmount"},
		"two separators":        {"1,234,50", 0, "ErrAmount"},
		"absurdly large":        {"99999999999999", 0, "ErrAmount"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := guichet.ParseEuros(tc.in)
			if tc.err != "" {
				require.Equal(t, tc.err, guichet.AsError(err).MessageID)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func FuzzParseEuros(f *testing.F) {
	for _, s := range []string{"960", "1 234,50", "12,345", "€", "-1", "1.2.3", "0,01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := guichet.ParseEuros(s)
		if err != nil {
			require.NotNil(t, guichet.AsError(err), "every refusal is a message for a person")
			return
		}
		require.GreaterOrEqual(t, int64(c), int64(0))
		// What we write reads back to the same amount.
		back, err := guichet.ParseEuros(c.String())
		require.NoError(t, err)
		require.Equal(t, c, back)
	})
}

func TestCentsString(t *testing.T) {
	require.Equal(t, "0,05\u00a0€", guichet.Cents(5).String())
	require.Equal(t, "1\u202f234,50\u00a0€", guichet.Cents(123450).String())
	require.Equal(t, "19\u202f210,00\u00a0€", guichet.Cents(1921000).String())
	require.Equal(t, "1\u202f000\u202f000,00\u00a0€", guichet.Cents(100000000).String())
}

func TestSplitLargestRemainderAddsUp(t *testing.T) {
	tests := map[string]struct {
		total   guichet.Cents
		weights []int64
		want    []guichet.Cents
	}{
		"thirds":          {100, []int64{1, 1, 1}, []guichet.Cents{34, 33, 33}},
		"lunch 2011":      {540000, []int64{120, 110, 110, 110}, []guichet.Cents{144000, 132000, 132000, 132000}},
		"uneven":          {70000, []int64{40, 20}, []guichet.Cents{46667, 23333}},
		"largest wins":    {10, []int64{1, 2}, []guichet.Cents{3, 7}},
		"zero weight":     {10, []int64{0, 5}, []guichet.Cents{0, 10}},
		"nothing to give": {0, []int64{1, 2}, []guichet.Cents{0, 0}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := guichet.SplitLargestRemainder(tc.total, tc.weights)
			require.Equal(t, tc.want, got)
			var sum guichet.Cents
			for _, c := range got {
				sum += c
			}
			require.Equal(t, tc.total, sum)
		})
	}
	require.Nil(t, guichet.SplitLargestRemainder(100, []int64{0, 0}))
}

func TestLotAmountsKeepTheUnclaimedShare(t *testing.T) {
	lot := &guichet.Lot{Quantity: 450, Budget: 90000}
	// 300 of 450 claimed: two thirds of the budget, the rest waits for the last share.
	got := guichet.LotAmounts(lot, []int64{150, 150})
	require.Equal(t, []guichet.Cents{30000, 30000}, got)
	got = guichet.LotAmounts(lot, []int64{150, 150, 150})
	require.Equal(t, []guichet.Cents{30000, 30000, 30000}, got)
}
