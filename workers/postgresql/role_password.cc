#include "workers/postgresql/role_password.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <string_view>
#include <vector>

namespace mpli::pgworker {

namespace {

using Bytes = std::vector<unsigned char>;

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Bytes hmac_sha256(const Bytes& key, std::string_view message) {
  Bytes out(SHA256_DIGEST_LENGTH);
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &length);
  out.resize(length);
  return out;
}

Result<std::string> random_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    return internal_error("the CSPRNG (RAND_bytes) failed");
  }
  return bytes;
}

}  // namespace

Result<std::string> generate_password() {
  MPLI_ASSIGN_OR_RETURN(std::string bytes, random_bytes(24));
  std::string text = base64(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;  // 24 bytes encode to 32 characters, no padding
}

Result<std::string> scram_sha256_verifier(const std::string& password, const std::string& salt,
                                          int iterations) {
  for (char c : password) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) {
      return invalid_argument("a SCRAM password here must be printable ASCII without spaces");
    }
  }
  Bytes salted(SHA256_DIGEST_LENGTH);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(salted.size()), salted.data()) != 1) {
    return internal_error("PBKDF2 failed");
  }
  Bytes client_key = hmac_sha256(salted, "Client Key");
  Bytes stored_key(SHA256_DIGEST_LENGTH);
  SHA256(client_key.data(), client_key.size(), stored_key.data());
  Bytes server_key = hmac_sha256(salted, "Server Key");
  return "SCRAM-SHA-256$" + std::to_string(iterations) + ":" +
         base64(reinterpret_cast<const unsigned char*>(salt.data()), salt.size()) + "$" +
         base64(stored_key.data(), stored_key.size()) + ":" +
         base64(server_key.data(), server_key.size());
}

Result<std::string> scram_sha256_verifier(const std::string& password) {
  MPLI_ASSIGN_OR_RETURN(std::string salt, random_bytes(16));
  return scram_sha256_verifier(password, salt);
}

}  // namespace mpli::pgworker
