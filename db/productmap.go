package db

import (
	"context"
	"time"
)

// ProductMapping maps a team's SCIM/directory group to a product on one of
// its projects (issue 11): every member of the group gets the product on
// the project (and joins the project with the base product if not on it),
// and loses it again when they leave the group, the mapping is removed or
// the group is deleted. Such grants have origin group; an admin's own
// grants (origin manual) are never taken by a mapping. See docs/members.md.
type ProductMapping struct {
	ID          string
	TeamID      string
	GroupID     string
	GroupName   string
	ProjectID   string
	ProjectName string
	Product     string // product key
	CreatedAt   time.Time
	// Members is how many active group members the mapping covers; Waiting
	// how many of them lack the product on the project because its seats
	// were in use when they were granted (R-MEM-5).
	Members int
	Waiting int
}

// Access origins: why a project member has a product.
const (
	OriginManual = "manual"
	OriginGroup  = "group"
)

// ProductMappingStore is the group-to-product area of a store. Every
// group-membership change (SCIM PUT/PATCH, directory sync, group delete,
// user deactivation) reconciles the mapped products in the writer's own
// transaction.
type ProductMappingStore interface {
	// MapGroup maps group (id or display name) to product (key or name) on
	// project (id or name) and grants it to the group's active members in
	// the same transaction. Mapping an existing triple again re-grants to
	// those still waiting for a seat and returns the mapping.
	MapGroup(ctx context.Context, teamID, group, project, product string, by Actor) (ProductMapping, error)
	// UnmapGroup removes a mapping and revokes its group-derived grants.
	UnmapGroup(ctx context.Context, teamID, mappingID string, by Actor) error
	// ProductMappings lists the team's mappings.
	ProductMappings(ctx context.Context, teamID string) ([]ProductMapping, error)
}
