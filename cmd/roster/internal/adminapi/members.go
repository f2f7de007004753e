package adminapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/roster-dev/roster/db"
)

// MemberView is a member as the CLI and the admin API show it (issue 11).
type MemberView struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Status    string    `json:"status"`
	Type      string    `json:"type"`
	Source    string    `json:"source"`
	Company   string    `json:"company"`
	Role      string    `json:"role"`
	Level     string    `json:"level"`
	CreatedAt time.Time `json:"created_at"`
}

// MemberViewOf renders a member.
func MemberViewOf(m db.TeamMember) MemberView {
	u := m.User
	return MemberView{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Status: string(u.Status),
		Type: string(u.Type), Source: string(u.Source), Company: m.Company, Role: m.JobRole, Level: string(m.Level), CreatedAt: u.CreatedAt}
}

// MemberViews renders members (never nil, so JSON shows []).
func MemberViews(ms []db.TeamMember) []MemberView {
	out := make([]MemberView, len(ms))
	for i, m := range ms {
		out[i] = MemberViewOf(m)
	}
	return out
}

// RowErrorBody is the body of a refused multi-row request: the error and
// every refused row (nothing was applied).
type RowErrorBody struct {
	Error ErrorDetail   `json:"error"`
	Rows  []db.RowError `json:"rows"`
}

// EditResult is the answer to a bulk edit: the members as they now are and
// every earlier value the edit overwrote (R-MEM-2).
type EditResult struct {
	Members   []MemberView   `json:"members"`
	Overwrote []db.Overwrite `json:"overwrote"`
}

// UserFinder is the store method MemberIDs needs.
type UserFinder interface {
	FindUser(ctx context.Context, teamID string, key db.UserKey) (db.User, error)
}

// MemberIDs resolves emails to the team's user ids; every unknown address is
// one refused row (a *db.RowErrors, ErrNotFound).
func MemberIDs(ctx context.Context, s UserFinder, teamID string, emails []string) ([]string, error) {
	var ids []string
	var bad []db.RowError
	for i, e := range emails {
		u, err := s.FindUser(ctx, teamID, db.UserKey{Email: e})
		if errors.Is(err, db.ErrNotFound) {
			bad = append(bad, db.RowError{Row: i + 1, Email: e, Code: "member_not_found", Message: e + " is not a member of the team"})
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	if len(bad) > 0 {
		return nil, &db.RowErrors{Err: db.Errorf(db.ErrNotFound, "rows_refused", "%d of the addresses are not members; nothing was changed", len(bad)), Rows: bad}
	}
	if len(ids) == 0 {
		return nil, db.Errorf(db.ErrInvalid, "emails_required", "no email addresses given")
	}
	return ids, nil
}

// MemberQueryOf reads the R-MEM-6 list parameters (q, status, company,
// level, type, source, product, admin, sort, order, limit, after) shared by the members
// and users lists; ok is false when none is given.
func MemberQueryOf(v url.Values) (q db.MemberQuery, ok bool, err error) {
	for _, k := range []string{"q", "status", "company", "level", "type", "source", "product", "admin", "sort", "order"} {
		if v.Has(k) {
			ok = true
		}
	}
	q = db.MemberQuery{Q: v.Get("q"), Status: db.Status(v.Get("status")), Company: v.Get("company"),
		Type: db.UserType(v.Get("type")), Source: db.Source(v.Get("source")), Product: v.Get("product"), Admin: v.Get("admin"), Sort: v.Get("sort"), After: v.Get("after")}
	if l := v.Get("level"); l != "" {
		if q.Level, err = db.ParseAccessLevel(l); err != nil {
			return q, ok, err
		}
	}
	switch v.Get("order") {
	case "", "asc":
	case "desc":
		q.Desc = true
	default:
		return q, ok, db.Errorf(db.ErrInvalid, "order_invalid", "order must be asc or desc")
	}
	q.Limit = 100
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > UsersPageMax {
			return q, ok, db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be an integer from 1 to %d", UsersPageMax)
		}
		q.Limit = n
	}
	return q, ok, nil
}

// AddMembersRequest is an add-members request (R-MEM-1): the quick list or
// per-row members.
type AddMembersRequest struct {
	// Emails is the quick path: a pasted list (commas, semicolons, tabs,
	// spaces, newlines), at most 100, all with Company, Role and Level.
	Emails  string `json:"emails"`
	Company string `json:"company"`
	Role    string `json:"role"`
	Level   string `json:"level"`
	// Members is the per-row path: each row its own values.
	Members []struct {
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Company   string `json:"company"`
		Role      string `json:"role"`
		Level     string `json:"level"`
	} `json:"members"`
}

// AddRows turns a request's quick list or rows into store rows.
func (req AddMembersRequest) rows() ([]db.NewMember, error) {
	if (req.Emails == "") == (len(req.Members) == 0) {
		return nil, db.Errorf(db.ErrInvalid, "members_required", "give either emails (a list) or members (rows)")
	}
	if req.Emails != "" {
		level, err := db.ParseAccessLevel(req.Level)
		if err != nil {
			return nil, err
		}
		return db.QuickAddRows(req.Emails, req.Company, req.Role, level)
	}
	rows := make([]db.NewMember, len(req.Members))
	for i, m := range req.Members {
		rows[i] = db.NewMember{Email: m.Email, FirstName: m.FirstName, LastName: m.LastName, Company: m.Company,
			JobRole: m.Role, Level: db.AccessLevel(m.Level)}
	}
	return rows, nil
}

// EditMembersRequest is a bulk edit (R-MEM-2): nil fields stay as they are.
type EditMembersRequest struct {
	Emails  []string `json:"emails"`
	Company *string  `json:"company"`
	Role    *string  `json:"role"`
	Level   *string  `json:"level"`
}

// mountMembers registers the members routes (issue 11 #1-#3, #8).
func (a *api) mountMembers() {
	x := &API{a: a}
	a.route("GET", "/teams/{team}/members", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		q, _, err := MemberQueryOf(r.URL.Query())
		if err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.QueryMembers(r.Context(), c, q))
	})
	a.route("POST", "/teams/{team}/members", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req AddMembersRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusCreated)(x.AddMembers(r.Context(), c, req))
	})
	a.route("PATCH", "/teams/{team}/members", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req EditMembersRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.EditMembers(r.Context(), c, req))
	})
	a.route("GET", "/teams/{team}/members/{user}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.GetMember(r.Context(), c, r.PathValue("user")))
	})
	a.route("DELETE", "/teams/{team}/members/{user}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if err := x.RemoveMember(r.Context(), c, r.PathValue("user")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	a.route("GET", "/teams/{team}/companies", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ListCompanies(r.Context(), c))
	})
}
