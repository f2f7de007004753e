package gormdb

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

var _ db.InvitationStore = (*Store)(nil)

// invitationRow is a member's current invitation (migration 00012).
type invitationRow struct {
	UserID     string `gorm:"primaryKey"`
	TeamID     string
	TokenHash  string // hex SHA-256 of the secret
	SentAt     time.Time
	ExpiresAt  time.Time
	AcceptedAt *time.Time
}

func (invitationRow) TableName() string { return "invitations" }

// invitationState: accepted once accepted or signed in (active), expired
// after the expiry otherwise (R-MEM-3).
func invitationState(r invitationRow, status db.Status, now time.Time) db.InvitationState {
	switch {
	case r.AcceptedAt != nil || status == db.StatusActive:
		return db.InvitationAccepted
	case !now.Before(r.ExpiresAt):
		return db.InvitationExpired
	}
	return db.InvitationPending
}

// SendInvitation implements db.InvitationStore.
func (s *Store) SendInvitation(ctx context.Context, teamID, userID string, by db.Actor) (db.Invitation, string, error) {
	secret, hash := db.NewTokenSecret()
	var out db.Invitation
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var u userRow
		if err := tx.Take(&u, "team_id = ? AND id = ?", teamID, userID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return userNotFound(userID)
			}
			return err
		}
		if db.Status(u.Status) == db.StatusActive {
			return db.Errorf(db.ErrRule, "invitation_not_needed", "%s is already active (signed in); no invitation is needed", u.Email)
		}
		var err error
		out, err = s.writeInvitation(tx, u, hash, by, "invitation.send")
		return err
	})
	if err != nil {
		return db.Invitation{}, "", fmt.Errorf("send invitation: %w", err)
	}
	return out, secret, nil
}

// writeInvitation gives the member u a new invitation (token hash, sent
// now, expiring InvitationTTL later), replacing any earlier one, audited as
// action: the one write of sending, resending and renewing.
func (s *Store) writeInvitation(tx *gorm.DB, u userRow, hash []byte, by db.Actor, action string) (db.Invitation, error) {
	now := s.nowUTC()
	row := invitationRow{UserID: u.ID, TeamID: u.TeamID, TokenHash: hex.EncodeToString(hash), SentAt: now, ExpiresAt: now.Add(db.InvitationTTL)}
	if err := tx.Where("user_id = ?", u.ID).Delete(&invitationRow{}).Error; err != nil {
		return db.Invitation{}, err
	}
	if err := tx.Create(&row).Error; err != nil {
		return db.Invitation{}, err
	}
	out := db.Invitation{TeamID: u.TeamID, UserID: u.ID, Email: u.Email, SentAt: now, ExpiresAt: row.ExpiresAt, State: db.InvitationPending}
	return out, s.audit(tx, u.TeamID, by, action, "user", u.ID, map[string]string{"email": u.Email, "expires_at": row.ExpiresAt.Format(time.RFC3339)})
}

// tokenInvitation finds the invitation of a token and its member; a used
// one is as unknown as a wrong one (invitation_not_found either way).
func tokenInvitation(conn *gorm.DB, secret string) (invitationRow, userRow, error) {
	notFound := db.Errorf(db.ErrNotFound, "invitation_not_found", "this invitation link is not valid (used, replaced by a newer one, or unknown)")
	var rows []invitationRow
	if err := conn.Where("token_hash = ?", hex.EncodeToString(db.HashToken(secret))).Limit(1).Find(&rows).Error; err != nil {
		return invitationRow{}, userRow{}, err
	}
	if len(rows) == 0 || rows[0].AcceptedAt != nil {
		return invitationRow{}, userRow{}, notFound
	}
	var u userRow
	if err := conn.Take(&u, "id = ?", rows[0].UserID).Error; err != nil {
		return invitationRow{}, userRow{}, err
	}
	return rows[0], u, nil
}

// PeekInvitation implements db.InvitationStore.
func (s *Store) PeekInvitation(ctx context.Context, secret string) (db.Invitation, error) {
	r, u, err := tokenInvitation(s.conn(ctx), secret)
	if err != nil {
		return db.Invitation{}, fmt.Errorf("peek invitation: %w", translate(err))
	}
	return db.Invitation{TeamID: r.TeamID, UserID: r.UserID, Email: u.Email, SentAt: r.SentAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
		State: invitationState(r, db.Status(u.Status), s.nowUTC())}, nil
}

// RenewInvitation implements db.InvitationStore (R-MEM-3: a member asks
// for a new invitation from the expired link).
func (s *Store) RenewInvitation(ctx context.Context, secret string) (db.Invitation, string, error) {
	newSecret, hash := db.NewTokenSecret()
	var out db.Invitation
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, u, err := tokenInvitation(tx, secret)
		if err != nil {
			return err
		}
		switch invitationState(r, db.Status(u.Status), s.nowUTC()) {
		case db.InvitationAccepted: // the member signed in: the link is used up
			return db.Errorf(db.ErrNotFound, "invitation_not_found", "this invitation link is not valid (used, replaced by a newer one, or unknown)")
		case db.InvitationPending:
			return db.Errorf(db.ErrConflict, "invitation_not_expired", "this invitation is still valid until %s; accept it instead", r.ExpiresAt.UTC().Format(time.RFC3339))
		}
		by := db.Actor{Kind: db.ActorSSO, ID: u.ID, Name: u.Email}
		out, err = s.writeInvitation(tx, u, hash, by, "invitation.renew")
		return err
	})
	if err != nil {
		return db.Invitation{}, "", fmt.Errorf("renew invitation: %w", err)
	}
	return out, newSecret, nil
}

// invitationStateWhere is the SQL condition of one state at now ("" = all).
func invitationStateWhere(state db.InvitationState, now time.Time) (string, []any, error) {
	accepted := "(invitations.accepted_at IS NOT NULL OR users.status = 'active')"
	switch state {
	case "":
		return "", nil, nil
	case db.InvitationAccepted:
		return accepted, nil, nil
	case db.InvitationExpired:
		return "NOT " + accepted + " AND invitations.expires_at <= ?", []any{now}, nil
	case db.InvitationPending:
		return "NOT " + accepted + " AND invitations.expires_at > ?", []any{now}, nil
	}
	return "", nil, db.Errorf(db.ErrInvalid, "state_invalid", "state %q is not pending, expired or accepted", state)
}

// QueryInvitations implements db.InvitationStore: one SQL query,
// keyset-paged on (sort value, user id) like QueryMembers.
func (s *Store) QueryInvitations(ctx context.Context, teamID string, q db.InvitationQuery) (db.InvitationPage, error) {
	expr, ok := s.sortExpr(q.Sort)
	if !ok || q.Sort == "level" {
		return db.InvitationPage{}, db.Errorf(db.ErrInvalid, "sort_invalid", "sort %q is not one of %s", q.Sort, strings.Join(db.InvitationSortColumns, ", "))
	}
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return db.InvitationPage{}, err
	}
	now := s.nowUTC()
	where, args := userFilters(teamID, q.Q, "", "", "", q.Company)
	where = append(where, "invitations.team_id = ?")
	args = append(args, teamID)
	cond, sargs, err := invitationStateWhere(q.State, now)
	if err != nil {
		return db.InvitationPage{}, err
	}
	if cond != "" {
		where, args = append(where, cond), append(args, sargs...)
	}
	rows, err := s.keysetRows(s.conn(ctx), "SELECT users.id, users.email, users.status, invitations.sent_at, invitations.expires_at, invitations.accepted_at"+
		" FROM invitations JOIN users ON users.id = invitations.user_id LEFT JOIN member_profiles mp ON mp.user_id = users.id",
		where, args, expr, q.Desc, q.After, limit)
	if err != nil {
		return db.InvitationPage{}, fmt.Errorf("query invitations: %w", err)
	}
	defer rows.Close()
	var out []db.Invitation
	var sortValues []string
	for rows.Next() {
		var r invitationRow
		var sv, email, status string
		if err := rows.Scan(&sv, &r.UserID, &email, &status, &r.SentAt, &r.ExpiresAt, &r.AcceptedAt); err != nil {
			return db.InvitationPage{}, fmt.Errorf("query invitations: %w", translate(err))
		}
		out = append(out, db.Invitation{TeamID: teamID, UserID: r.UserID, Email: email, SentAt: r.SentAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
			State: invitationState(r, db.Status(status), now)})
		sortValues = append(sortValues, sv)
	}
	if err := rows.Err(); err != nil {
		return db.InvitationPage{}, fmt.Errorf("query invitations: %w", translate(err))
	}
	var page db.InvitationPage
	page.Invitations, page.Next = keysetPage(out, sortValues, limit, func(i db.Invitation) string { return i.UserID })
	return page, nil
}

// ListInvitations implements db.InvitationStore: the state is computed in SQL.
func (s *Store) ListInvitations(ctx context.Context, teamID string, state db.InvitationState) ([]db.Invitation, error) {
	now := s.nowUTC()
	q := s.conn(ctx).Table("invitations").Select("invitations.user_id, users.email, users.status, invitations.sent_at, invitations.expires_at, invitations.accepted_at").
		Joins("JOIN users ON users.id = invitations.user_id").Where("invitations.team_id = ?", teamID)
	if cond, args, err := invitationStateWhere(state, now); err != nil {
		return nil, err
	} else if cond != "" {
		q = q.Where(cond, args...)
	}
	rows, err := q.Order("users.email_lower").Rows()
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", translate(err))
	}
	defer rows.Close()
	out := []db.Invitation{}
	for rows.Next() {
		var r invitationRow
		var email, status string
		if err := rows.Scan(&r.UserID, &email, &status, &r.SentAt, &r.ExpiresAt, &r.AcceptedAt); err != nil {
			return nil, fmt.Errorf("list invitations: %w", translate(err))
		}
		out = append(out, db.Invitation{TeamID: teamID, UserID: r.UserID, Email: email, SentAt: r.SentAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
			State: invitationState(r, db.Status(status), now)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list invitations: %w", translate(err))
	}
	return out, nil
}

// AcceptInvitation implements db.InvitationStore: single use; the member
// becomes active through the one writer.
func (s *Store) AcceptInvitation(ctx context.Context, secret string) (db.User, error) {
	var out db.User
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, u, err := tokenInvitation(tx, secret)
		if err != nil {
			return err
		}
		now := s.nowUTC()
		if invitationState(r, db.Status(u.Status), now) == db.InvitationExpired {
			return db.Errorf(db.ErrRule, "invitation_expired", "this invitation expired on %s; ask for a new one from the link, or ask an admin to resend it", r.ExpiresAt.UTC().Format(time.RFC3339))
		}
		out, err = s.acceptInvitation(tx, r.TeamID, u, "link")
		return err
	})
	if err != nil {
		return db.User{}, fmt.Errorf("accept invitation: %w", err)
	}
	return out, nil
}

// acceptInvitation makes the pending member u active and marks their
// invitation (if any) accepted, audited, in tx: the one place both ways of
// accepting (the link, via "link", and the first SSO sign-in, via "sso")
// write it (R-MEM-3). A first sign-in accepts even an expired invitation:
// the team's IdP vouched for the person, and expiry never removes anyone.
func (s *Store) acceptInvitation(tx *gorm.DB, teamID string, u userRow, via string) (db.User, error) {
	if err := tx.Model(&invitationRow{}).Where("user_id = ? AND accepted_at IS NULL", u.ID).Update("accepted_at", s.nowUTC()).Error; err != nil {
		return db.User{}, err
	}
	w := &writer{s: s, tx: tx, teamID: teamID}
	by := db.Actor{Kind: db.ActorSSO, ID: u.ID, Name: u.Email}
	a, err := w.apply(db.UserUpdate{UserID: u.ID, By: by, Change: func(u *db.User, _ *[]db.UserEmail) error {
		u.Status = db.StatusActive
		return nil
	}})
	if err != nil {
		return db.User{}, err
	}
	return a.User, s.audit(tx, teamID, by, "invitation.accept", "user", u.ID, map[string]string{"email": u.Email, "via": via})
}
