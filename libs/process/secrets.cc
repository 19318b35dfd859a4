#include "libs/process/secrets.h"

#include <crypt.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "libs/process/user_account.h"

namespace mpli::process {

std::string random_hex_secret() {
  unsigned char bytes[32];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    filled += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

Status hand_to_user(const std::string& path, const std::string& user) {
  if (user.empty()) return Status::ok();
  MPLI_ASSIGN_OR_RETURN(UserAccount account, lookup_user(user));
  if (chown(path.c_str(), account.uid, account.gid) != 0) {
    return internal_error("cannot give " + path + " to user " + user);
  }
  return Status::ok();
}

Status write_private_file(const std::string& path, const std::string& text,
                          const std::string& owner) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return internal_error("cannot create " + path + ": " + std::strerror(errno));
  bool written =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!written) {
    unlink(path.c_str());
    return internal_error("cannot write " + path);
  }
  return hand_to_user(path, owner);
}

Result<std::string> load_or_create_secret(const std::string& path, const std::string& owner) {
  if (!std::filesystem::exists(path)) {
    std::string secret = random_hex_secret();
    if (secret.empty()) return internal_error("cannot generate a secret: no randomness");
    MPLI_RETURN_IF_ERROR(write_private_file(path, secret + "\n", owner));
    return secret;
  }
  struct stat info {};
  if (stat(path.c_str(), &info) == 0 && (info.st_mode & 0077) != 0) chmod(path.c_str(), 0600);
  std::ifstream in(path);
  std::string secret;
  std::getline(in, secret);
  while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) {
    secret.pop_back();
  }
  if (secret.empty()) {
    return failed_precondition("the secret file " + path +
                               " is empty or unreadable; write the secret on its first line");
  }
  return secret;
}

Result<std::string> bcrypt_hash(const std::string& password) {
  // Cost 10: the passwords are 256-bit random, so the cost guards nothing a guess could reach;
  // it only slows every connect (and the reconnect of every client after a NATS restart).
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2a$", 10, nullptr, 0, salt, sizeof(salt)) == nullptr) {
    return internal_error(std::string("cannot make a bcrypt salt: ") + std::strerror(errno));
  }
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* hash = crypt_r(password.c_str(), salt, data.get());
  // libxcrypt returns a string starting with '*' on failure instead of null.
  if (hash == nullptr || hash[0] != '$') return internal_error("bcrypt hashing failed");
  return std::string(hash);
}

}  // namespace mpli::process
