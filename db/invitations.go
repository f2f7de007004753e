package db

import (
	"context"
	"time"
)

// InvitationTTL is how long an invitation is valid after it was sent (R-MEM-3).
const InvitationTTL = 7 * 24 * time.Hour

// InvitationState is what an invitation is now.
type InvitationState string

// Invitation states: accepted once the member accepted or has signed in
// (is active), expired after InvitationTTL otherwise, pending before.
const (
	InvitationPending  InvitationState = "pending"
	InvitationExpired  InvitationState = "expired"
	InvitationAccepted InvitationState = "accepted"
)

// Invitation is a member's current invitation.
type Invitation struct {
	TeamID    string
	UserID    string
	Email     string
	SentAt    time.Time
	ExpiresAt time.Time
	State     InvitationState
}

// InvitationStore is the invitations area of a store (issue 11 #4, R-MEM-3).
// Tokens are single-use, random (NewTokenSecret) and stored hashed; the
// store's clock decides expiry.
type InvitationStore interface {
	// SendInvitation creates the member's invitation or replaces it (a
	// resend: new token, new expiry; the old token stops working) and
	// returns the secret to put in the accept link. A member who is already
	// active needs none (ErrRule invitation_not_needed).
	SendInvitation(ctx context.Context, teamID, userID string, by Actor) (Invitation, string, error)
	// ListInvitations lists the team's invitations in a state ("" = all), by email.
	ListInvitations(ctx context.Context, teamID string, state InvitationState) ([]Invitation, error)
	// QueryInvitations searches, filters, sorts and pages invitations in
	// SQL (R-MEM-6), the state computed with the store's clock.
	QueryInvitations(ctx context.Context, teamID string, q InvitationQuery) (InvitationPage, error)
	// AcceptInvitation redeems a token: the member becomes active. A used,
	// replaced or unknown token is ErrNotFound; an expired one ErrRule
	// invitation_expired (the member asks for a new one).
	AcceptInvitation(ctx context.Context, secret string) (User, error)
	// PeekInvitation reads the invitation a token belongs to without using
	// it (the accept page shows it): ErrNotFound invitation_not_found when
	// the token is unknown, replaced or used.
	PeekInvitation(ctx context.Context, secret string) (Invitation, error)
	// RenewInvitation is the member asking for a new invitation from an
	// expired link: a new token and expiry, to be sent to the member's own
	// address (the returned Invitation's Email; never one the requester
	// names). Unknown, replaced and used tokens are ErrNotFound
	// invitation_not_found alike; one that has not expired yet is ErrConflict
	// invitation_not_expired.
	RenewInvitation(ctx context.Context, secret string) (Invitation, string, error)
}

// InvitationQuery selects, filters, sorts and pages a team's invitations
// (R-MEM-6): Q as for members (email, names, company, role); State one
// state; Sort one of InvitationSortColumns (default email); After the
// previous page's Next.
type InvitationQuery struct {
	Q       string
	State   InvitationState
	Company string
	Sort    string
	Desc    bool
	After   string
	Limit   int // default 100, at most 1000
}

// InvitationSortColumns are the columns invitations sort by.
var InvitationSortColumns = []string{"email", "name", "first_name", "last_name", "company", "role", "status", "type", "source"}

// InvitationPage is one page of invitations; Next is empty on the last.
type InvitationPage struct {
	Invitations []Invitation
	Next        string
}
