#include "libs/credentials/credential_verifier.h"

#include <cctype>

#include "libs/credentials/base64url.h"
#include "libs/credentials/cose.h"
#include "libs/credentials/json_document.h"
#include "libs/credentials/refusal.h"
#include "libs/credentials/sd_jwt.h"

namespace mpli::credentials {
namespace {

// How many credentials one presentation may envelop: each is a full verification.
constexpr size_t kMaxCredentialsPerPresentation = 64;

int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

std::optional<int> digits(std::string_view text, size_t at, size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// The media type without the optional "application/" (RFC 7515 section 4.1.9).
std::string media_type(const nlohmann::json& header, const char* member) {
  auto it = header.find(member);
  if (it == header.end() || !it->is_string()) return "";
  std::string value = it->get<std::string>();
  constexpr std::string_view kApplication = "application/";
  if (value.rfind(kApplication, 0) == 0) value.erase(0, kApplication.size());
  return value;
}

// A VC's issuer or a VP's holder: a string, or an object with a string id.
std::string id_of(const nlohmann::json& object, const char* member) {
  if (!object.is_object()) return "";
  auto it = object.find(member);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto id = it->find("id");
    if (id != it->end() && id->is_string()) return id->get<std::string>();
  }
  return "";
}

std::string string_or_empty(const nlohmann::json& object, const char* member) {
  if (!object.is_object()) return "";
  auto it = object.find(member);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// A time claim: NumericDate, or (VC data model) a dateTime string.
Result<std::optional<int64_t>> time_member(const nlohmann::json& object, const char* member) {
  if (!object.is_object()) return std::optional<int64_t>();
  auto it = object.find(member);
  if (it == object.end()) return std::optional<int64_t>();
  if (it->is_string()) {
    auto parsed = parse_date_time(it->get<std::string>());
    if (!parsed) return malformed_field(member, "is not an RFC 3339 date-time");
    return parsed;
  }
  return optional_integer_member(object, member);
}

Status check_validity(const VerifiedCredential& credential, const VerifyOptions& options) {
  if (credential.valid_from && *credential.valid_from > options.now + options.clock_skew) {
    return refusal(Refusal::kNotYetValid, "valid from " + std::to_string(*credential.valid_from) +
                                              ", now is " + std::to_string(options.now));
  }
  if (credential.valid_until && *credential.valid_until < options.now - options.clock_skew) {
    return refusal(Refusal::kExpired, "valid until " + std::to_string(*credential.valid_until) +
                                          ", now is " + std::to_string(options.now));
  }
  return Status::ok();
}

Result<std::optional<StatusReference>> status_reference(const nlohmann::json& credential) {
  auto it = credential.find("credentialStatus");
  if (it == credential.end()) return std::optional<StatusReference>();
  std::vector<nlohmann::json> entries;
  if (it->is_array()) {
    entries.assign(it->begin(), it->end());
  } else {
    entries.push_back(*it);
  }
  for (const auto& entry : entries) {
    if (!entry.is_object() || entry.value("type", nlohmann::json()) != "BitstringStatusListEntry") {
      continue;
    }
    StatusReference reference;
    MPLI_ASSIGN_OR_RETURN(reference.list_credential, string_member(entry, "statusListCredential"));
    MPLI_ASSIGN_OR_RETURN(reference.purpose, string_member(entry, "statusPurpose"));
    // The data model writes the index as a decimal string; some issuers write a number.
    auto index = entry.find("statusListIndex");
    if (index != entry.end() && index->is_string()) {
      const auto& text = index->get_ref<const std::string&>();
      if (text.empty() || text.size() > 18 ||
          text.find_first_not_of("0123456789") != std::string::npos) {
        return malformed_field("statusListIndex", "is not a decimal index");
      }
      reference.index = std::stoull(text);
    } else {
      MPLI_ASSIGN_OR_RETURN(auto number, integer_member(entry, "statusListIndex"));
      if (number < 0) return malformed_field("statusListIndex", "is negative");
      reference.index = static_cast<uint64_t>(number);
    }
    MPLI_ASSIGN_OR_RETURN(auto size, optional_integer_member(entry, "statusSize"));
    if (size && (*size < 1 || *size > 8)) return malformed_field("statusSize", "must be 1..8");
    reference.size = size ? static_cast<int>(*size) : 1;
    return std::optional<StatusReference>(reference);
  }
  return std::optional<StatusReference>();
}

std::vector<std::string> types_of(const nlohmann::json& credential) {
  std::vector<std::string> types;
  auto it = credential.find("type");
  if (it == credential.end()) return types;
  if (it->is_string()) types.push_back(it->get<std::string>());
  if (it->is_array()) {
    for (const auto& type : *it) {
      if (type.is_string()) types.push_back(type.get<std::string>());
    }
  }
  return types;
}

// Everything but the issuer, the key and the credential itself (which the caller moves in
// once it is read): id, types, subject, validity (checked), status. `claims` is the JWT claims
// set around the credential (the credential itself for vc+jwt and COSE).
Status read_credential(const nlohmann::json& credential, const nlohmann::json& claims,
                       const VerifyOptions& options, VerifiedCredential* verified) {
  const std::string& format = verified->format;
  verified->id = string_or_empty(credential, "id");
  if (verified->id.empty()) verified->id = string_or_empty(claims, "jti");
  verified->types = types_of(credential);
  if (std::string vct = string_or_empty(claims, "vct"); !vct.empty() && verified->types.empty()) {
    verified->types.push_back(vct);
  }
  if (auto subject = credential.find("credentialSubject"); subject != credential.end()) {
    verified->subject = subject->is_array() && !subject->empty() ? subject->front() : *subject;
  } else if (format == "dc+sd-jwt") {
    verified->subject = claims;  // SD-JWT VC: the claims are about `sub`
  }
  verified->subject_id = string_or_empty(verified->subject, "id");
  if (verified->subject_id.empty()) verified->subject_id = string_or_empty(claims, "sub");

  MPLI_ASSIGN_OR_RETURN(auto valid_from, time_member(credential, "validFrom"));
  if (!valid_from) {
    MPLI_ASSIGN_OR_RETURN(valid_from, time_member(claims, "nbf"));
  }
  if (!valid_from && format == "jwt_vc_json") {
    MPLI_ASSIGN_OR_RETURN(valid_from, time_member(credential, "issuanceDate"));
  }
  if (!valid_from) {
    MPLI_ASSIGN_OR_RETURN(valid_from, time_member(claims, "iat"));
  }
  MPLI_ASSIGN_OR_RETURN(auto valid_until, time_member(credential, "validUntil"));
  if (!valid_until) {
    MPLI_ASSIGN_OR_RETURN(valid_until, time_member(claims, "exp"));
  }
  if (!valid_until && format == "jwt_vc_json") {
    MPLI_ASSIGN_OR_RETURN(valid_until, time_member(credential, "expirationDate"));
  }
  verified->valid_from = valid_from;
  verified->valid_until = valid_until;
  MPLI_RETURN_IF_ERROR(check_validity(*verified, options));
  MPLI_ASSIGN_OR_RETURN(verified->status, status_reference(credential));
  return Status::ok();
}

// Base64 as the COSE vectors and data: URLs carry it: standard alphabet, padding optional, and
// a line end at the end is tolerated (the W3C vc+cose envelope has one).
Result<std::string> base64_unpadded(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  std::string padded(text);
  while (padded.size() % 4 != 0) padded.push_back('=');
  return base64_decode(padded);
}

}  // namespace

std::optional<int64_t> parse_date_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM]
  auto year = digits(text, 0, 4);
  auto month = digits(text, 5, 2);
  auto day = digits(text, 8, 2);
  auto hour = digits(text, 11, 2);
  auto minute = digits(text, 14, 2);
  auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' || *month < 1 ||
      *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    ++at;
    size_t start = at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
    if (at == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (at < text.size()) {
    if (text[at] == 'Z' || text[at] == 'z') {
      ++at;
    } else if (text[at] == '+' || text[at] == '-') {
      auto offset_hours = digits(text, at + 1, 2);
      auto offset_minutes = digits(text, at + 4, 2);
      if (!offset_hours || !offset_minutes || text[at + 3] != ':' || *offset_hours > 23 ||
          *offset_minutes > 59) {
        return std::nullopt;
      }
      offset = (int64_t{*offset_hours} * 60 + *offset_minutes) * 60 * (text[at] == '-' ? -1 : 1);
      at += 6;
    }
  }
  if (at != text.size()) return std::nullopt;
  int64_t days = days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  return days * 86400 + int64_t{*hour} * 3600 + int64_t{*minute} * 60 + std::min(*second, 59) -
         offset;
}

// A token parsed (and, for SD-JWT, its disclosures applied); authenticated once `key` is set.
// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json members; their moves do not throw
struct CredentialVerifier::Secured {
  bool sd_jwt = false;
  SdJwt parts;
  CompactJws jws;
  std::string typ;  // media type without "application/"
  std::string cty;
  nlohmann::json signed_claims;
  nlohmann::json claims;  // with disclosures applied
  std::string issuer;
  std::optional<ResolvedKey> key;
};

Result<CredentialVerifier::Secured> CredentialVerifier::parse(std::string_view token) const {
  if (token.size() > options_.max_token_bytes) {
    return refusal(Refusal::kTooLarge, "token of " + std::to_string(token.size()) +
                                           " bytes is over the limit of " +
                                           std::to_string(options_.max_token_bytes));
  }
  Secured secured;
  std::string_view jws_text = token;
  if (looks_like_sd_jwt(token)) {
    secured.sd_jwt = true;
    MPLI_ASSIGN_OR_RETURN(secured.parts, split_sd_jwt(token, options_.max_token_bytes));
    jws_text = secured.parts.issuer_jwt;
  }
  MPLI_ASSIGN_OR_RETURN(secured.jws, parse_compact_jws(jws_text, options_.max_token_bytes));
  secured.typ = media_type(secured.jws.header, "typ");
  secured.cty = media_type(secured.jws.header, "cty");
  MPLI_ASSIGN_OR_RETURN(secured.signed_claims,
                        parse_json_object(secured.jws.payload, "JWT claims set"));
  if (secured.sd_jwt) {
    MPLI_ASSIGN_OR_RETURN(secured.claims,
                          reconstruct_claims(secured.signed_claims, secured.parts.disclosures));
  } else {
    // Only SD-JWT key binding reads the signed claims apart from the claims: no copy here.
    secured.claims = std::move(secured.signed_claims);
  }
  return secured;
}

Status CredentialVerifier::authenticate(Secured& secured, bool top_level) const {
  const nlohmann::json& claims = secured.claims;
  // Every place an issuer can be named must name the same one: a token whose `iss` says one
  // party and whose credential says another would let one vouch under the other's name.
  std::string iss;
  if (claims.contains("iss")) {
    MPLI_ASSIGN_OR_RETURN(iss, string_member(claims, "iss"));
  }
  for (const std::string& named :
       {id_of(claims, "issuer"), id_of(claims.value("vc", nlohmann::json()), "issuer")}) {
    if (named.empty()) continue;
    if (!iss.empty() && named != iss) {
      return malformed_field("issuer", "'" + named + "' is not the token's iss '" + iss + "'");
    }
    iss = named;
  }
  if (iss.empty()) iss = id_of(claims, "holder");
  secured.issuer = iss;

  KeyRequest request;
  request.issuer = iss;
  request.kid = string_or_empty(secured.jws.header, "kid");
  if (auto x5c = secured.jws.header.find("x5c"); x5c != secured.jws.header.end()) {
    if (!x5c->is_array() || x5c->empty()) return malformed_field("x5c", "is not a non-empty array");
    for (const auto& entry : *x5c) {
      if (!entry.is_string()) return malformed_field("x5c", "entry is not a string");
      auto der = base64_decode(entry.get<std::string>());
      if (!der.is_ok()) return malformed_field("x5c", der.status().message());
      request.x5c.push_back(std::move(der).value());
    }
  }
  MPLI_ASSIGN_OR_RETURN(auto resolved, resolver_.resolve(request));
  MPLI_RETURN_IF_ERROR(verify_compact_jws(secured.jws, resolved.key));
  secured.key = std::move(resolved);

  if (secured.sd_jwt) {
    bool wanted = top_level && (options_.require_key_binding || !options_.expected_nonce.empty() ||
                                !options_.expected_audience.empty());
    if (wanted || !secured.parts.key_binding_jwt.empty()) {
      KeyBindingExpectation expectation;
      expectation.nonce = options_.expected_nonce;
      expectation.audience = options_.expected_audience;
      expectation.now = options_.now;
      expectation.clock_skew = options_.clock_skew;
      expectation.max_age = options_.key_binding_max_age;
      MPLI_RETURN_IF_ERROR(verify_key_binding(secured.parts, secured.signed_claims, expectation,
                                              options_.max_token_bytes));
    }
  }
  return Status::ok();
}

Result<VerifiedCredential> CredentialVerifier::verify_credential(std::string_view token) const {
  return verify_credential_at(token, true);
}

Result<VerifiedCredential> CredentialVerifier::verify_cose_credential(std::string_view cose) const {
  if (cose.size() > options_.max_token_bytes) {
    return refusal(Refusal::kTooLarge, "COSE credential of " + std::to_string(cose.size()) +
                                           " bytes is over the limit of " +
                                           std::to_string(options_.max_token_bytes));
  }
  MPLI_ASSIGN_OR_RETURN(CoseSign1 message, parse_cose_sign1(cose));
  MPLI_RETURN_IF_ERROR(check_media_type(message, CoseContent::kCredential));
  JsonLimits limits;
  limits.max_bytes = options_.max_token_bytes;
  MPLI_ASSIGN_OR_RETURN(nlohmann::json credential,
                        parse_json_object(message.payload, "COSE payload", limits));
  KeyRequest request;
  request.issuer = id_of(credential, "issuer");
  request.kid = message.kid;
  request.x5c = message.x5chain;
  if (request.issuer.empty()) return malformed_field("issuer", "a credential names its issuer");
  MPLI_ASSIGN_OR_RETURN(ResolvedKey key, resolver_.resolve(request));
  MPLI_RETURN_IF_ERROR(verify_cose_sign1(message, key.key));
  VerifiedCredential verified;
  verified.format = "vc+cose";
  verified.issuer = request.issuer;
  verified.algorithm = std::string(cose_algorithm_name(message.algorithm));
  verified.key_id = key.key_id;
  verified.trust_root = key.trust_root;
  MPLI_RETURN_IF_ERROR(read_credential(credential, credential, options_, &verified));
  verified.credential = std::move(credential);
  return verified;
}

Result<VerifiedCredential> CredentialVerifier::verify_credential_at(std::string_view token,
                                                                    bool top_level) const {
  // A compact JWS or an SD-JWT has dots; a COSE credential travels as base64 of its bytes.
  if (token.find('.') == std::string_view::npos && token.find('~') == std::string_view::npos &&
      !token.empty()) {
    auto bytes = base64_unpadded(token);
    if (bytes.is_ok()) return verify_cose_credential(*bytes);
  }
  MPLI_ASSIGN_OR_RETURN(auto secured, parse(token));
  const std::string& typ = secured.typ;
  std::string format;
  if (secured.sd_jwt) {
    if (typ != "dc+sd-jwt" && typ != "vc+sd-jwt") {
      return refusal(Refusal::kBadMediaType, "typ '" + typ + "' is not an SD-JWT credential's");
    }
    format = "dc+sd-jwt";
  } else if (typ == "vc+jwt" || typ == "vc+ld+json+jwt") {
    format = typ;
  } else if (typ.empty() || typ == "JWT" || typ == "jwt") {
    format = "jwt_vc_json";
  } else {
    return refusal(Refusal::kBadMediaType, "typ '" + typ + "' is not a credential's");
  }
  if (!secured.cty.empty() && secured.cty != "vc" && secured.cty != "vc+ld+json" &&
      secured.cty != "json") {
    return refusal(Refusal::kBadMediaType, "cty '" + secured.cty + "' is not a credential's");
  }
  const nlohmann::json& claims = secured.claims;
  if (format == "jwt_vc_json") {
    if (!claims.contains("vc") || !claims["vc"].is_object()) {
      return malformed_field("vc", "a plain JWT credential carries its credential in a vc claim");
    }
  } else if (claims.contains("vc") || claims.contains("vp")) {
    // VC-JOSE-COSE: the claims set is the credential; vc/vp claims belong to the older
    // JWT-VC encoding and mixing the two is refused (conformance negative).
    return malformed_field(claims.contains("vc") ? "vc" : "vp",
                           "a " + typ + " claims set may not carry vc or vp claims");
  }
  MPLI_RETURN_IF_ERROR(authenticate(secured, top_level));

  VerifiedCredential verified;
  verified.format = format;
  verified.issuer = secured.issuer;
  verified.algorithm = string_or_empty(secured.jws.header, "alg");
  verified.key_id = secured.key->key_id;
  verified.trust_root = secured.key->trust_root;
  const nlohmann::json& credential = format == "jwt_vc_json" ? claims["vc"] : claims;
  MPLI_RETURN_IF_ERROR(read_credential(credential, claims, options_, &verified));
  // Moved, not copied, once nothing reads `credential` or `claims` any more.
  verified.credential =
      format == "jwt_vc_json" ? std::move(secured.claims.at("vc")) : std::move(secured.claims);
  return verified;
}

Result<VerifiedCredential> CredentialVerifier::verify_enveloped(const nlohmann::json& entry) const {
  // A compact JWT string (jwt_vp_json), or {"type": "EnvelopedVerifiableCredential",
  // "id": "data:<media type>[;base64],<content>"}.
  if (entry.is_string()) return verify_credential_at(entry.get<std::string>(), false);
  if (!entry.is_object() ||
      entry.value("type", nlohmann::json()) != "EnvelopedVerifiableCredential") {
    return malformed_field("verifiableCredential",
                           "an entry is neither a JWT nor an EnvelopedVerifiableCredential");
  }
  MPLI_ASSIGN_OR_RETURN(auto url, string_member(entry, "id"));
  size_t comma = url.find(',');
  if (url.rfind("data:", 0) != 0 || comma == std::string::npos) {
    return malformed_field("verifiableCredential",
                           "an enveloped credential's id is not a data: URL");
  }
  std::string type = url.substr(5, comma - 5);
  bool base64 = false;
  if (size_t semicolon = type.find(';'); semicolon != std::string::npos) {
    base64 = type.substr(semicolon) == ";base64";
    type.resize(semicolon);
  }
  std::string content = url.substr(comma + 1);
  if (type == "application/vc+jwt" || type == "application/vc+ld+json+jwt" ||
      type == "application/vc+sd-jwt" || type == "application/dc+sd-jwt") {
    if (base64) return malformed_field("verifiableCredential", "a JOSE envelope is not base64");
    bool sd_jwt_type = type.find("sd-jwt") != std::string::npos;
    if (sd_jwt_type != looks_like_sd_jwt(content)) {
      return refusal(Refusal::kBadMediaType, "enveloped content does not fit " + type);
    }
    return verify_credential_at(content, false);
  }
  auto format = envelope_formats_.find(type);
  if (format == envelope_formats_.end() && type == "application/vc+cose") {
    if (!base64) return malformed_field("verifiableCredential", "a COSE envelope is base64");
    MPLI_ASSIGN_OR_RETURN(std::string bytes, base64_unpadded(content));
    return verify_cose_credential(bytes);
  }
  if (format == envelope_formats_.end()) {
    return refusal(Refusal::kUnsupportedFormat,
                   "enveloped credentials of type " + type + " are not verified here");
  }
  return format->second(content, base64);
}

Result<std::vector<VerifiedCredential>> CredentialVerifier::verify_presentation(
    std::string_view token) const {
  MPLI_ASSIGN_OR_RETURN(auto secured, parse(token));
  const std::string& typ = secured.typ;
  bool plain_jwt = !secured.sd_jwt && (typ.empty() || typ == "JWT" || typ == "jwt");
  if (!(secured.sd_jwt ? typ == "vp+sd-jwt" : (typ == "vp+jwt" || plain_jwt))) {
    return refusal(Refusal::kBadMediaType, "typ '" + typ + "' is not a presentation's");
  }
  if (!secured.cty.empty() && secured.cty != "vp" && secured.cty != "vp+ld+json") {
    return refusal(Refusal::kBadMediaType, "cty '" + secured.cty + "' is not a presentation's");
  }
  const nlohmann::json& claims = secured.claims;
  const nlohmann::json& presentation = plain_jwt ? claims.value("vp", nlohmann::json()) : claims;
  if (!presentation.is_object()) {
    return malformed_field("vp", "a plain JWT presentation carries it in a vp claim");
  }
  MPLI_RETURN_IF_ERROR(authenticate(secured, true));
  VerifiedCredential validity;
  MPLI_ASSIGN_OR_RETURN(validity.valid_from, time_member(claims, "nbf"));
  if (!validity.valid_from) {
    MPLI_ASSIGN_OR_RETURN(validity.valid_from, time_member(claims, "iat"));
  }
  MPLI_ASSIGN_OR_RETURN(validity.valid_until, time_member(claims, "exp"));
  MPLI_RETURN_IF_ERROR(check_validity(validity, options_));

  auto entries = presentation.find("verifiableCredential");
  if (entries == presentation.end()) return std::vector<VerifiedCredential>();
  std::vector<nlohmann::json> list;
  if (entries->is_array()) {
    list.assign(entries->begin(), entries->end());
  } else {
    list.push_back(*entries);
  }
  if (list.size() > kMaxCredentialsPerPresentation) {
    return refusal(Refusal::kTooLarge, "presentation envelops more than " +
                                           std::to_string(kMaxCredentialsPerPresentation) +
                                           " credentials");
  }
  std::vector<VerifiedCredential> verified;
  for (const auto& entry : list) {
    MPLI_ASSIGN_OR_RETURN(auto credential, verify_enveloped(entry));
    verified.push_back(std::move(credential));
  }
  return verified;
}

void CredentialVerifier::add_envelope_format(std::string media_type, EnvelopeVerifier verifier) {
  envelope_formats_.insert_or_assign(std::move(media_type), std::move(verifier));
}

}  // namespace mpli::credentials
