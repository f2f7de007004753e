package gormdb

// batchUserViews are the views of the users queued in w (its batch), built
// from the rows it is about to insert rather than read back after the
// insert: the same values (times are stored at millisecond precision, the
// view has no attributes), one query fewer per batch and no second decode
// of thousands of rows in a directory sync.
func (w *writer) batchUserViews() (map[resourceKey]any, error) {
	if len(w.newUsers) == 0 {
		return nil, nil
	}
	out := make(map[resourceKey]any, len(w.newUsers))
	err := w.s.userViews(w.tx, w.teamID, w.newUsers, func(id string, v any) {
		out[resourceKey{w.teamID, "user", id}] = v
	})
	return out, err
}
