package db

import (
	"context"
	"fmt"
	"strings"
)

// BindMember records userID as the Mattermost user of every supplier membership listed under
// username without a user id yet (memberships imported from a file without Mattermost). It
// returns how many memberships it bound. Mattermost usernames are unique, and the user id
// comes from a request Mattermost made for that user.
func (d *DB) BindMember(ctx context.Context, userID, username string) (int64, error) {
	username = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(username), "@"))
	if userID == "" || username == "" {
		return 0, nil
	}
	res, err := d.db.ExecContext(ctx, `UPDATE supplier_members SET user_id = $1
		WHERE username = $2 AND user_id = ''`, userID, username)
	if err != nil {
		return 0, fmt.Errorf("bind member: %w", err)
	}
	return res.RowsAffected()
}
