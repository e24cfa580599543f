package db_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/db/dbtest"
)

// Fifty transactions at once take fifty numbers with no gap and no duplicate; those rolled back
// give their numbers back.
func TestDocumentNumbersHaveNoGap(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for i := range 55 {
		wg.Go(func() {
			rollback := i%11 == 3
			n, err := d.TakeDocumentNumber(ctx, "BC", 2027, rollback)
			if rollback {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			mu.Lock()
			got = append(got, n)
			mu.Unlock()
		})
	}
	wg.Wait()
	sort.Strings(got)
	require.Len(t, got, 50)
	for i, n := range got {
		require.Equal(t, fmt.Sprintf("BC-2027-%04d", i+1), n)
	}
	n, err := d.TakeDocumentNumber(ctx, "BC", 2028, false)
	require.NoError(t, err)
	require.Equal(t, "BC-2028-0001", n)
	n, err = d.TakeDocumentNumber(ctx, "DEV", 2027, false)
	require.NoError(t, err)
	require.Equal(t, "DEV-2027-0001", n)
}
