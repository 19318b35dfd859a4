// What the resolver reads from the rest of the hub: discovery's provider manifests and trust's
// verified facts (and trust's verdict on credentials sent inline with a resolution request).
// BusFederation asks over NATS; tests may substitute their own.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/core/status.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "services/resolver/domain/catalogue_index.h"

namespace mpli::resolver {

class Federation {
 public:
  virtual ~Federation() = default;
  // Ids of every registered provider.
  virtual Result<std::vector<std::string>> provider_ids() = 0;
  // The provider's current manifest as N-Triples; "" when it has no served version.
  // kNotFound when discovery does not know the provider.
  virtual Result<std::string> provider_manifest(const std::string& provider_id) = 0;
  // Every verified fact, in pages handed to `sink`.
  virtual Status all_facts(const std::function<void(std::vector<Fact>)>& sink) = 0;
  virtual Result<std::vector<Fact>> facts_about(const std::string& subject) = 0;
  // Verifies and keeps a consumer's credential; its facts are then held by trust. A refusal
  // comes back as trust's error.
  virtual Status submit_credential(const v1::InlineCredential& credential,
                                   const std::string& expected_subject) = 0;
};

class BusFederation : public Federation {
 public:
  BusFederation(bus::Connection& bus, std::chrono::milliseconds timeout)
      : bus_(bus), timeout_(timeout) {}
  Result<std::vector<std::string>> provider_ids() override;
  Result<std::string> provider_manifest(const std::string& provider_id) override;
  Status all_facts(const std::function<void(std::vector<Fact>)>& sink) override;
  Result<std::vector<Fact>> facts_about(const std::string& subject) override;
  Status submit_credential(const v1::InlineCredential& credential,
                           const std::string& expected_subject) override;

 private:
  bus::Connection& bus_;
  std::chrono::milliseconds timeout_;
};

}  // namespace mpli::resolver
