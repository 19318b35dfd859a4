// The secrets a launcher makes for the processes it starts: random passwords and keys kept in
// files only their owner can read, and bcrypt hashes of passwords for configuration files that
// must not hold the passwords themselves (nats.conf).
#pragma once

#include <string>

#include "libs/core/status.h"

namespace mpli::process {

// 32 bytes from the kernel's CSPRNG (getrandom), as 64 lowercase hex digits: nothing in a libpq
// connection string, a SQL literal or nats.conf needs quoting. "" when no randomness is to be had.
std::string random_hex_secret();

// Makes `user` the owner of `path` ("" = leave it as it is): files a server running as another
// user (PostgreSQL as `postgres` when we are root) must read.
Status hand_to_user(const std::string& path, const std::string& user);

// Creates `path` (it must not exist) with `text`, mode 0600, synced; `owner` (may be "") becomes
// its owner.
Status write_private_file(const std::string& path, const std::string& text,
                          const std::string& owner);

// The secret on the first line of `path`, or a new random_hex_secret() stored there (0600, owned
// by `owner`) when the file is missing. A file that others may read is narrowed to 0600 first:
// whoever can read it holds the secret.
Result<std::string> load_or_create_secret(const std::string& path, const std::string& owner);

// A bcrypt hash of `password` ("$2a$10$<salt><hash>", libcrypt with a fresh random salt), which
// nats-server compares a client's password against.
Result<std::string> bcrypt_hash(const std::string& password);

}  // namespace mpli::process
