package db

import "context"

// SeatUsage is one product's seats (R-MEM-5): Seats is nil when the product
// has no subscription (no limit); Used counts users with access to it who
// use an internal seat (no external subscription to it, or one with an
// internal seat anyway); External counts users with access who hold an
// external subscription (those with an internal seat too are in both).
type SeatUsage struct {
	Product  string
	Seats    *int
	Used     int
	External int
}

// SeatStore is the seats-and-subscriptions area (issue 11 #6, R-MEM-5).
// Granting product access (AddProjectMember, SetProjectAccess) beyond a
// product's seats is refused with ErrRule seats_exhausted, nothing changed.
type SeatStore interface {
	// AddSubscription adds a subscription of seats to a product.
	AddSubscription(ctx context.Context, teamID, product string, seats int, by Actor) error
	// SetExternalSubscription marks (or unmarks) that the user holds an
	// external subscription to the product, so their access to it uses no
	// internal seat. Unmarking is refused when no internal seat is free.
	SetExternalSubscription(ctx context.Context, teamID, userID, product string, on bool, by Actor) error
	// SetInternalSeat gives (or takes back) an external subscriber an
	// internal seat anyway, so their access does not stop when the external
	// subscription ends. Giving one needs a free seat (seats_exhausted); a
	// user without an external subscription is ErrRule not_external.
	SetInternalSeat(ctx context.Context, teamID, userID, product string, on bool, by Actor) error
	// Seats reports seat usage per catalogue product.
	Seats(ctx context.Context, teamID string) ([]SeatUsage, error)
}
