#include "libs/shacl/vocabulary.h"

#include <string>

namespace mpli::shacl {

Vocabulary::Vocabulary(rdf::TermTable& terms) {
  std::string ns(kShNamespace);
#define MPLI_SHACL_INTERN(member, local) member = terms.iri(ns + local);
  MPLI_SHACL_TERMS(MPLI_SHACL_INTERN)
#undef MPLI_SHACL_INTERN
}

}  // namespace mpli::shacl
