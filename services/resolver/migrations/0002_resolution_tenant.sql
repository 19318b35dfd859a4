-- The tenant a resolution is stored for: only that tenant (or a caller without one, the admin)
-- may fetch or re-check it. Resolutions stored before tenancy belong to no tenant ('').
ALTER TABLE resolutions ADD COLUMN tenant text NOT NULL DEFAULT '';
