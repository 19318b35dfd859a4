// A role's password: drawn from OpenSSL's CSPRNG, and sent to the server only as a SCRAM-SHA-256
// verifier (what PostgreSQL stores), so the plain password never reaches the server's statement
// log, pg_stat_activity or a replica's WAL.
#pragma once

#include <string>

#include "libs/core/status.h"

namespace mpli::pgworker {

// 24 random bytes as base64url (32 characters): safe in a URI, a libpq string and a SQL literal.
Result<std::string> generate_password();

// PostgreSQL's stored form "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>"
// (RFC 5802/7677, as libpq's PQencryptPasswordConn makes it). `salt` is raw bytes; the password
// must be ASCII without control characters (SASLprep leaves such a password unchanged).
Result<std::string> scram_sha256_verifier(const std::string& password, const std::string& salt,
                                          int iterations = 4096);

// A verifier with a fresh 16-byte random salt.
Result<std::string> scram_sha256_verifier(const std::string& password);

}  // namespace mpli::pgworker
