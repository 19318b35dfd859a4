// Interned RDF terms (IRIs, blank nodes, literals) as compact 32-bit ids shared by graphs.
// Graphs that share one TermTable compare terms by id, which is what makes SHACL validation cheap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mpli::rdf {

using TermId = uint32_t;
// Id 0 is never assigned, so it can mean "no term" (absent datatype, missing object, ...).
constexpr TermId kNoTerm = 0;

enum class TermKind : uint8_t { kIri, kBlank, kLiteral };

// Well-known IRIs, as text; TermTable::well_known() holds their interned ids.
namespace iri {
inline constexpr std::string_view kRdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
inline constexpr std::string_view kXsd = "http://www.w3.org/2001/XMLSchema#";
inline constexpr std::string_view kXsdString = "http://www.w3.org/2001/XMLSchema#string";
inline constexpr std::string_view kRdfLangString =
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";
}  // namespace iri

// Ids of terms every graph needs, interned once when the table is created.
struct WellKnownTerms {
  TermId rdf_type = kNoTerm;
  TermId rdf_first = kNoTerm;
  TermId rdf_rest = kNoTerm;
  TermId rdf_nil = kNoTerm;
  TermId rdf_lang_string = kNoTerm;
  TermId rdfs_sub_class_of = kNoTerm;
  TermId rdfs_class = kNoTerm;
  TermId xsd_string = kNoTerm;
  TermId xsd_boolean = kNoTerm;
  TermId xsd_integer = kNoTerm;
  TermId xsd_true = kNoTerm;   // "true"^^xsd:boolean
  TermId xsd_false = kNoTerm;  // "false"^^xsd:boolean
};

// An append-only dictionary. Strings live in large arena blocks (no per-term allocation) and
// lookups use an open-addressing table of ids: a term costs about 40 bytes plus its text.
class TermTable {
 public:
  TermTable();
  TermTable(const TermTable&) = delete;
  // A new table holding the same terms under the same ids. A program compiled against this
  // table (shapes, say) stays valid for the copy, so each data graph can grow its own copy
  // instead of growing one shared table forever.
  std::shared_ptr<TermTable> clone() const;
  TermTable& operator=(const TermTable&) = delete;

  TermId iri(std::string_view value);
  TermId blank(std::string_view label);
  // A literal without datatype or language gets xsd:string; with a language, rdf:langString.
  TermId literal(std::string_view lexical, TermId datatype = kNoTerm, std::string_view lang = {});
  TermId typed_literal(std::string_view lexical, std::string_view datatype_iri) {
    return literal(lexical, iri(datatype_iri));
  }

  // Lookups that never intern (kNoTerm when absent).
  TermId find_iri(std::string_view value) const;
  TermId find_literal(std::string_view lexical, TermId datatype, std::string_view lang = {}) const;

  TermKind kind(TermId id) const { return kinds_[id]; }
  bool is_iri(TermId id) const { return kind(id) == TermKind::kIri; }
  bool is_blank(TermId id) const { return kind(id) == TermKind::kBlank; }
  bool is_literal(TermId id) const { return kind(id) == TermKind::kLiteral; }
  // IRI text, blank node label or literal lexical form.
  std::string_view value(TermId id) const {
    const Record* r = record(id);
    return {r->text(), r->length};
  }
  TermId datatype(TermId id) const { return record(id)->datatype; }
  std::string_view lang(TermId id) const {
    const Record* r = record(id);
    return {r->text() + r->length, r->lang_length};
  }
  // Number of ids handed out plus one (ids run from 1 to size()-1).
  size_t size() const { return records_.size(); }

  // N-Triples form of a term: <iri>, _:label, "lexical"@lang or "lexical"^^<dt>.
  std::string to_ntriples(TermId id) const;

  // A fresh prefix for blank node labels, so two documents' _:b1 stay distinct nodes.
  std::string fresh_blank_prefix();
  // A new blank node nobody else has (for generated structures such as reports).
  TermId fresh_blank();

  const WellKnownTerms& well_known() const { return well_known_; }

 private:
  // A term is one arena record: this header followed by its text and language tag, so a
  // lookup that reaches the record finds the text in the same cache line.
  struct Record {
    uint32_t length;
    TermId datatype;
    uint16_t lang_length;
    TermKind kind;
    const char* text() const { return reinterpret_cast<const char*>(this + 1); }
  };
  const Record* record(TermId id) const { return records_[id]; }

  TermId intern(TermKind kind, std::string_view text, TermId datatype, std::string_view lang);
  TermId find(TermKind kind, std::string_view text, TermId datatype, std::string_view lang,
              size_t hash, size_t* slot) const;
  const Record* store(TermKind kind, std::string_view text, TermId datatype, std::string_view lang);
  void grow();

  std::vector<const Record*> records_;  // by id
  // Kinds again, one byte per id: node-kind tests are the most frequent question the validator
  // asks, and this small array stays in cache where the records do not.
  std::vector<TermKind> kinds_;
  // Open addressing. A slot holds (32-bit hash << 32 | id), 0 when empty: the stored hash
  // rejects almost every non-matching probe without touching the record, and growing the
  // table re-places slots without re-reading any text.
  // Zeroed slot memory. Large tables are mapped with transparent huge pages requested: the
  // table is probed at random, and with 4 KiB pages most probes would also miss the TLB.
  class SlotArray {
   public:
    SlotArray() = default;
    explicit SlotArray(size_t count);
    SlotArray(SlotArray&& other) noexcept { swap(other); }
    SlotArray& operator=(SlotArray&& other) noexcept {
      swap(other);
      return *this;
    }
    SlotArray(const SlotArray&) = delete;
    SlotArray& operator=(const SlotArray&) = delete;
    ~SlotArray();
    uint64_t& operator[](size_t i) { return data_[i]; }
    uint64_t operator[](size_t i) const { return data_[i]; }
    size_t size() const { return count_; }
    const uint64_t* begin() const { return data_; }
    const uint64_t* end() const { return data_ + count_; }

   private:
    void swap(SlotArray& other) noexcept {
      std::swap(data_, other.data_);
      std::swap(count_, other.count_);
      std::swap(mapped_, other.mapped_);
    }
    uint64_t* data_ = nullptr;
    size_t count_ = 0;
    bool mapped_ = false;
  };
  SlotArray slots_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* current_ = nullptr;  // the block small strings are appended to
  size_t block_used_ = 0;
  size_t block_size_ = 0;
  std::vector<std::unique_ptr<char[]>> large_;  // records too big for a shared block
  uint64_t next_document_ = 0;
  uint64_t next_blank_ = 0;
  WellKnownTerms well_known_;
};

using TermTablePtr = std::shared_ptr<TermTable>;

}  // namespace mpli::rdf
