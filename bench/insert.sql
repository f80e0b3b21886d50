-- pgbench: the raw-insert ceiling on PostgreSQL, the same row shape the API inserts.
INSERT INTO invoices (company_id, project_id, status, value, issue_date, created_by_user_id, created_at, updated_at)
VALUES (1, 1, 'draft', 1250.5, '2026-11-25', 1, now(), now());
