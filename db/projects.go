package db

import (
	"context"
	"regexp"
)

// Product is one entry of a team's product catalogue (issue 11 #5). The
// catalogue is data; exactly one product is the base (seed 002: Docs):
// a project member without the base product is not on the project.
type Product struct {
	Key  string // stable, lower-case: docs, build, ...
	Name string
	Base bool
}

// DefaultProducts is seed 002's catalogue, which every new team starts with.
var DefaultProducts = []Product{
	{Key: "docs", Name: "Docs", Base: true},
	{Key: "build", Name: "Build"},
	{Key: "cost", Name: "Cost"},
	{Key: "insight", Name: "Insight"},
	{Key: "design-collaboration", Name: "Design Collaboration"},
	{Key: "model-coordination", Name: "Model Coordination"},
	{Key: "takeoff", Name: "Takeoff"},
}

var productKeyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// ValidProductKey reports whether key is a catalogue key (lower-case
// letters, digits and dashes, at most 64).
func ValidProductKey(key string) bool { return productKeyRE.MatchString(key) }

// Project is a team's project.
type Project struct {
	ID     string
	TeamID string
	Name   string
}

// ProjectLevel is a project member's level (seed 002).
type ProjectLevel string

// Project member levels.
const (
	ProjectMemberLevel ProjectLevel = "member"
	ProjectAdminLevel  ProjectLevel = "admin"
)

// ProjectMember is a team user on a project with per-product access.
type ProjectMember struct {
	ProjectID string
	User      User
	Level     ProjectLevel
	Products  []string // product keys, sorted
}

// NewProjectMember is the input of AddProjectMember. A person not yet in
// the team is created as a pending user with source product, classified by
// the team's policy (R-POL-2).
type NewProjectMember struct {
	Email     string
	FirstName string
	LastName  string
	Level     ProjectLevel // default member
	Products  []string     // keys (or names); must include the base product
}

// ProjectStore is the products-and-projects area of a store (issue 11 #5,
// R-MEM-4, R-POL-2). Removing a user from the team (every path: UserDelete)
// removes their project memberships and product access in the same
// transaction.
type ProjectStore interface {
	ListProducts(ctx context.Context, teamID string) ([]Product, error)
	// AddProduct adds a product to the catalogue; Base moves the base mark to it.
	AddProduct(ctx context.Context, teamID string, p Product, by Actor) (Product, error)
	// FindProduct resolves a key or a name (case-insensitive).
	FindProduct(ctx context.Context, teamID, ref string) (Product, error)
	// UpdateProduct renames the product ref (name "" keeps it) and, with
	// makeBase, moves the base mark to it. Moving the mark is refused
	// (ErrRule base_move_would_remove) while a project member lacks the
	// product: they would silently stop being on their projects (R-MEM-4).
	UpdateProduct(ctx context.Context, teamID, ref, name string, makeBase bool, by Actor) (Product, error)
	// RemoveProduct removes a product from the catalogue and, in the same
	// transaction, revokes it from every project member and drops its
	// subscriptions and external subscriptions; it returns
	// how many project memberships lost it. The base product cannot be
	// removed (ErrRule base_product): move the base mark first.
	RemoveProduct(ctx context.Context, teamID, ref string, by Actor) (revoked int, err error)
	CreateProject(ctx context.Context, teamID, name string, by Actor) (Project, error)
	ListProjects(ctx context.Context, teamID string) ([]Project, error)
	// FindProject resolves an id or a name (case-insensitive).
	FindProject(ctx context.Context, teamID, ref string) (Project, error)
	// AddProjectMember puts a person on a project (created in the team if
	// new, R-POL-2); created reports whether the user is new.
	AddProjectMember(ctx context.Context, teamID, projectID string, in NewProjectMember, by Actor) (m ProjectMember, created bool, err error)
	// SetProjectAccess replaces a project member's products; without the
	// base product the member is removed from the project (R-MEM-4) and
	// removed is true. The project's last admin cannot be removed so.
	SetProjectAccess(ctx context.Context, teamID, projectID, userID string, products []string, by Actor) (m ProjectMember, removed bool, err error)
	// SetProjectLevel changes a project member's level (member or admin);
	// demoting the project's last admin is refused (ErrRule
	// last_project_admin). Setting the level a member has is a no-op.
	SetProjectLevel(ctx context.Context, teamID, projectID, userID string, level ProjectLevel, by Actor) (ProjectMember, error)
	ListProjectMembers(ctx context.Context, teamID, projectID string) ([]ProjectMember, error)
	// QueryProjectMembers searches, filters, sorts and pages a project's
	// members in SQL (R-MEM-6).
	QueryProjectMembers(ctx context.Context, teamID, projectID string, q ProjectMemberQuery) (ProjectMemberPage, error)
	// UserProjects lists a user's project memberships.
	UserProjects(ctx context.Context, teamID, userID string) ([]ProjectMember, error)
}

// ProjectMemberQuery selects, filters, sorts and pages a project's members
// (R-MEM-6), all in SQL: Q as for members; Level is the project level;
// Product a product key or name the member has on the project. Sort is one
// of ProjectMemberSortColumns (default email); After the previous page's
// Next.
type ProjectMemberQuery struct {
	Q       string
	Status  Status
	Level   ProjectLevel
	Type    UserType
	Source  Source
	Company string
	Product string
	Sort    string
	Desc    bool
	After   string
	Limit   int // default 100, at most 1000
}

// ProjectMemberSortColumns are the columns project members sort by.
var ProjectMemberSortColumns = []string{"email", "name", "first_name", "last_name", "company", "role", "level", "status", "type", "source"}

// ProjectMemberPage is one page of project members; Next is empty on the last.
type ProjectMemberPage struct {
	Members []ProjectMember
	Next    string
}
