#include "services/resolver/domain/manifest_cache.h"

#include <catch2/catch.hpp>

namespace mpli::resolver {
namespace {

std::shared_ptr<const ConsumerManifest> manifest_in(const rdf::TermTablePtr& terms,
                                                    const std::string& iri) {
  auto manifest = std::make_shared<ConsumerManifest>(terms);
  manifest->manifest_iri = iri;
  return manifest;
}

TEST_CASE("manifest cache: the same text finds the manifest read from it") {
  auto terms = std::make_shared<rdf::TermTable>();
  ManifestCache cache;
  CHECK(cache.find("a", terms) == nullptr);
  auto a = manifest_in(terms, "urn:a");
  cache.put("a", a);
  CHECK(cache.find("a", terms) == a);
  CHECK(cache.find("a ", terms) == nullptr);  // another text, however close
  CHECK(cache.find("b", terms) == nullptr);
}

TEST_CASE("manifest cache: the least recently used goes first beyond the capacity") {
  auto terms = std::make_shared<rdf::TermTable>();
  ManifestCache cache(2);
  cache.put("a", manifest_in(terms, "urn:a"));
  cache.put("b", manifest_in(terms, "urn:b"));
  REQUIRE(cache.find("a", terms) != nullptr);  // a is now the most recent
  cache.put("c", manifest_in(terms, "urn:c"));
  CHECK(cache.size() == 2);
  CHECK(cache.find("b", terms) == nullptr);
  CHECK(cache.find("a", terms)->manifest_iri == "urn:a");
  CHECK(cache.find("c", terms)->manifest_iri == "urn:c");
  cache.put("c", manifest_in(terms, "urn:c2"));  // read again: replaced, not doubled
  CHECK(cache.size() == 2);
  CHECK(cache.find("c", terms)->manifest_iri == "urn:c2");
}

TEST_CASE("manifest cache: a manifest of another term table is never returned") {
  auto old_terms = std::make_shared<rdf::TermTable>();
  auto new_terms = std::make_shared<rdf::TermTable>();  // the index was rebuilt
  ManifestCache cache;
  cache.put("a", manifest_in(old_terms, "urn:a"));
  CHECK(cache.find("a", new_terms) == nullptr);
  CHECK(cache.size() == 0);  // dropped: it holds the old table alive
  cache.put("b", manifest_in(old_terms, "urn:b"));
  std::weak_ptr<rdf::TermTable> held = old_terms;
  old_terms.reset();
  REQUIRE_FALSE(held.expired());  // the cached manifest holds the old table
  cache.clear();                  // as the service does when it swaps in a new index
  CHECK(held.expired());
  CHECK(cache.size() == 0);
  ManifestCache none(0);
  none.put("a", manifest_in(new_terms, "urn:a"));
  CHECK(none.find("a", new_terms) == nullptr);
}

}  // namespace
}  // namespace mpli::resolver
