// Which relations of a database are the consumer's: the SQL conditions every catalogue query of
// the worker shares (aliases: c for pg_class, n for pg_namespace), so the copy, the checksums,
// the grants and the cleanup all mean the same tables.
#pragma once

namespace mpli::pgworker {

// Not in a system schema (pg_catalog, pg_toast, pg_temp_*, information_schema).
inline constexpr char kInUserSchema[] =
    "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'";

// Not a member of an extension (the extension's own CREATE EXTENSION makes it at the target).
inline constexpr char kNotExtensionMember[] =
    "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = "
    "c.oid AND d.deptype = 'e')";

}  // namespace mpli::pgworker
