#include "services/delivery/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mpli::delivery {

namespace {

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const unsigned char* bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

Result<SecretBox> SecretBox::from_key_file(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return invalid_argument(path + ": cannot read the key file");
  if ((info.st_mode & 0077) != 0) {
    return invalid_argument(path + ": the key file must be readable by its owner only (0600)");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  std::array<unsigned char, kKeySize> key{};
  if (text.size() == kKeySize) {
    std::copy(text.begin(), text.end(), key.begin());
    return SecretBox(key);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.size() != 2 * kKeySize) {
    return invalid_argument(path + ": a key is 32 raw bytes or 64 hex characters");
  }
  for (size_t i = 0; i < kKeySize; ++i) {
    int high = hex_value(text[2 * i]);
    int low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return invalid_argument(path + ": not hexadecimal");
    key[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return SecretBox(key);
}

SecretBox SecretBox::ephemeral() {
  std::array<unsigned char, kKeySize> key{};
  RAND_bytes(key.data(), static_cast<int>(key.size()));
  return SecretBox(key);
}

Result<std::string> SecretBox::seal(const std::string& plain, const std::string& associated) const {
  std::string out(kNonceSize + plain.size() + kTagSize, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(nonce, static_cast<int>(kNonceSize)) != 1) return internal_error("no randomness");
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytes(associated),
                        static_cast<int>(associated.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nonce + kNonceSize, &length, bytes(plain),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nonce + kNonceSize + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          nonce + kNonceSize + plain.size()) != 1) {
    return internal_error("AES-256-GCM encryption failed");
  }
  return out;
}

Result<std::string> SecretBox::open(const std::string& sealed,
                                    const std::string& associated) const {
  if (sealed.size() < kNonceSize + kTagSize) return internal_error("sealed secret too short");
  const size_t text_size = sealed.size() - kNonceSize - kTagSize;
  std::string plain(text_size, '\0');
  std::string tag = sealed.substr(kNonceSize + text_size);
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), bytes(sealed)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytes(associated),
                        static_cast<int>(associated.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &length, bytes(sealed) + kNonceSize,
                        static_cast<int>(text_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + length, &length) != 1) {
    return internal_error("a sealed secret does not open (wrong key or tampered)");
  }
  return plain;
}

Result<std::string> SecretBox::seal_map(const std::map<std::string, std::string>& secrets,
                                        const std::string& associated) const {
  return seal(nlohmann::json(secrets).dump(), associated);
}

Result<std::map<std::string, std::string>> SecretBox::open_map(
    const std::string& sealed, const std::string& associated) const {
  MPLI_ASSIGN_OR_RETURN(std::string plain, open(sealed, associated));
  auto parsed = nlohmann::json::parse(plain, nullptr, false);
  if (!parsed.is_object()) return internal_error("a sealed secret is not a JSON object");
  std::map<std::string, std::string> out;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

}  // namespace mpli::delivery
