-- records grows by millions: autovacuum's defaults (analyze after 10% of the table changed,
-- vacuum inserts after 20%) fall far behind it, so the planner plans runs for a table a fraction
-- of its size. Analyze after 2%, vacuum (which also sets the hint bits a first read would
-- otherwise write as full-page images) after 5%. Runs also analyze a stale table themselves
-- (RecordStatistics), since a bulk load can land just before a run.
ALTER TABLE records SET (
    autovacuum_analyze_scale_factor = 0.02,
    autovacuum_vacuum_scale_factor = 0.05,
    autovacuum_vacuum_insert_scale_factor = 0.05
);
