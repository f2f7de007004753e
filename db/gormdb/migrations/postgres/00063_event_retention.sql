-- Retention (issue 14 #3, webhooks.retention): the serve loop deletes
-- finished deliveries by age and events no delivery refers to, in batches;
-- these indexes keep each batch's select and NOT EXISTS off a table scan.
-- +goose Up
CREATE INDEX idx_webhook_deliveries_finished ON webhook_deliveries(status, updated_at);
CREATE INDEX idx_webhook_deliveries_event ON webhook_deliveries(event_id);
CREATE INDEX idx_events_at ON events(at);

-- +goose Down
DROP INDEX idx_events_at;
DROP INDEX idx_webhook_deliveries_event;
DROP INDEX idx_webhook_deliveries_finished;
