#include "libs/rdf/term_table.h"

#include <sys/mman.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace mpli::rdf {
namespace {

constexpr size_t kBlockSize = 1 << 20;

// A small multiply-xor hash over 8-byte words: much cheaper than std::hash for the short
// strings RDF terms are, and good enough for linear probing with a 32-bit tag.
uint64_t hash_bytes(std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  uint64_t h = 0x243F6A8885A308D3ULL ^ (s.size() * kMul);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  if (n > 0) std::memcpy(&tail, p, n);
  h = (h ^ tail) * kMul;
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ULL;
  h ^= h >> 32;
  return h;
}

size_t hash_term(TermKind kind, std::string_view text, TermId datatype, std::string_view lang) {
  size_t h = hash_bytes(text);
  h ^= (static_cast<size_t>(kind) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  h ^= (static_cast<size_t>(datatype) * 0x9e3779b97f4a7c15ULL) + (h << 6) + (h >> 2);
  if (!lang.empty()) h ^= hash_bytes(lang) + (h << 6) + (h >> 2);
  return h;
}

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        // Other control characters as \u escapes: a raw NUL ends the text for C parsers (Serd
        // among them), which would silently drop the rest of a document.
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char kHex[] = "0123456789ABCDEF";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xF];
          out += kHex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
}

}  // namespace

TermTable::SlotArray::SlotArray(size_t count) : count_(count) {
  size_t bytes = count * sizeof(uint64_t);
  constexpr size_t kHugePage = 2u << 20;
  if (bytes >= kHugePage) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      madvise(p, bytes, MADV_HUGEPAGE);  // a hint; failure only costs speed
      data_ = static_cast<uint64_t*>(p);
      mapped_ = true;
      return;
    }
  }
  data_ = static_cast<uint64_t*>(std::calloc(count, sizeof(uint64_t)));
  if (data_ == nullptr) throw std::bad_alloc();
}

TermTable::SlotArray::~SlotArray() {
  if (data_ == nullptr) return;
  if (mapped_) {
    munmap(data_, count_ * sizeof(uint64_t));
  } else {
    std::free(data_);
  }
}

TermTable::TermTable() {
  static const Record kNone{0, kNoTerm, 0, TermKind::kIri};
  records_.push_back(&kNone);  // id 0: "no term"
  kinds_.push_back(TermKind::kIri);
  slots_ = SlotArray(1024);
  std::string rdf(iri::kRdf);
  std::string xsd(iri::kXsd);
  well_known_.rdf_type = iri(rdf + "type");
  well_known_.rdf_first = iri(rdf + "first");
  well_known_.rdf_rest = iri(rdf + "rest");
  well_known_.rdf_nil = iri(rdf + "nil");
  well_known_.rdf_lang_string = iri(iri::kRdfLangString);
  well_known_.rdfs_sub_class_of = iri("http://www.w3.org/2000/01/rdf-schema#subClassOf");
  well_known_.rdfs_class = iri("http://www.w3.org/2000/01/rdf-schema#Class");
  well_known_.xsd_string = iri(iri::kXsdString);
  well_known_.xsd_boolean = iri(xsd + "boolean");
  well_known_.xsd_integer = iri(xsd + "integer");
  well_known_.xsd_true = literal("true", well_known_.xsd_boolean);
  well_known_.xsd_false = literal("false", well_known_.xsd_boolean);
}

const TermTable::Record* TermTable::store(TermKind kind, std::string_view text, TermId datatype,
                                          std::string_view lang) {
  constexpr size_t kAlign = alignof(Record);
  size_t need = (sizeof(Record) + text.size() + lang.size() + kAlign - 1) / kAlign * kAlign;
  char* p = nullptr;
  if (need > kBlockSize / 4) {
    large_.push_back(std::make_unique<char[]>(need));
    p = large_.back().get();
  } else {
    if (current_ == nullptr || block_used_ + need > block_size_) {
      blocks_.push_back(std::make_unique<char[]>(kBlockSize));
      current_ = blocks_.back().get();
      block_size_ = kBlockSize;
      block_used_ = 0;
    }
    p = current_ + block_used_;
    block_used_ += need;
  }
  auto* r = new (p) Record{static_cast<uint32_t>(text.size()), datatype,
                           static_cast<uint16_t>(lang.size()), kind};
  char* out = p + sizeof(Record);
  if (!text.empty()) std::memcpy(out, text.data(), text.size());
  if (!lang.empty()) std::memcpy(out + text.size(), lang.data(), lang.size());
  return r;
}

TermId TermTable::find(TermKind kind, std::string_view text, TermId datatype, std::string_view lang,
                       size_t hash, size_t* slot) const {
  size_t mask = slots_.size() - 1;
  uint64_t tag = hash & 0xffffffffULL;
  size_t i = tag & mask;
  while (true) {
    uint64_t v = slots_[i];
    if (v == 0) {
      if (slot) *slot = i;
      return kNoTerm;
    }
    if ((v >> 32) == tag) {
      TermId id = static_cast<TermId>(v);
      const Record* r = records_[id];
      if (r->kind == kind && r->datatype == datatype && r->length == text.size() &&
          r->lang_length == lang.size() &&
          (text.empty() || std::memcmp(r->text(), text.data(), text.size()) == 0) &&
          (lang.empty() || std::memcmp(r->text() + r->length, lang.data(), lang.size()) == 0)) {
        return id;
      }
    }
    i = (i + 1) & mask;
  }
}

void TermTable::grow() {
  SlotArray old(std::move(slots_));
  slots_ = SlotArray(old.size() * 2);
  size_t mask = slots_.size() - 1;
  for (uint64_t v : old) {
    if (v == 0) continue;
    size_t i = (v >> 32) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = v;
  }
}

TermId TermTable::intern(TermKind kind, std::string_view text, TermId datatype,
                         std::string_view lang) {
  if (lang.size() > 0xffff) lang = lang.substr(0, 0xffff);
  size_t h = hash_term(kind, text, datatype, lang);
  size_t slot = 0;
  TermId found = find(kind, text, datatype, lang, h, &slot);
  if (found != kNoTerm) return found;
  TermId id = static_cast<TermId>(records_.size());
  records_.push_back(store(kind, text, datatype, lang));
  kinds_.push_back(kind);
  slots_[slot] = ((h & 0xffffffffULL) << 32) | id;
  if (records_.size() * 2 > slots_.size()) grow();
  return id;
}

TermId TermTable::iri(std::string_view value) { return intern(TermKind::kIri, value, kNoTerm, {}); }

TermId TermTable::blank(std::string_view label) {
  return intern(TermKind::kBlank, label, kNoTerm, {});
}

TermId TermTable::literal(std::string_view lexical, TermId datatype, std::string_view lang) {
  if (!lang.empty()) {
    // Language tags are case-insensitive (BCP 47); store them lower-cased so equal tags intern
    // once.
    bool has_upper = false;
    for (char c : lang) has_upper |= (c >= 'A' && c <= 'Z');
    if (!has_upper) return intern(TermKind::kLiteral, lexical, well_known_.rdf_lang_string, lang);
    std::string lower(lang);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return intern(TermKind::kLiteral, lexical, well_known_.rdf_lang_string, lower);
  }
  if (datatype == kNoTerm) datatype = well_known_.xsd_string;
  return intern(TermKind::kLiteral, lexical, datatype, {});
}

TermId TermTable::find_iri(std::string_view value) const {
  return find(TermKind::kIri, value, kNoTerm, {}, hash_term(TermKind::kIri, value, kNoTerm, {}),
              nullptr);
}

TermId TermTable::find_literal(std::string_view lexical, TermId datatype,
                               std::string_view lang) const {
  if (!lang.empty()) {
    std::string lower(lang);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    TermId lang_string = well_known_.rdf_lang_string;
    return find(TermKind::kLiteral, lexical, lang_string, lower,
                hash_term(TermKind::kLiteral, lexical, lang_string, lower), nullptr);
  }
  if (datatype == kNoTerm) datatype = well_known_.xsd_string;
  return find(TermKind::kLiteral, lexical, datatype, {},
              hash_term(TermKind::kLiteral, lexical, datatype, {}), nullptr);
}

std::string TermTable::to_ntriples(TermId id) const {
  std::string out;
  switch (kind(id)) {
    case TermKind::kIri:
      out.reserve(value(id).size() + 2);
      out += '<';
      out += value(id);
      out += '>';
      break;
    case TermKind::kBlank:
      out += "_:";
      out += value(id);
      break;
    case TermKind::kLiteral:
      out += '"';
      append_escaped(out, value(id));
      out += '"';
      if (!lang(id).empty()) {
        out += '@';
        out += lang(id);
      } else if (datatype(id) != well_known_.xsd_string) {
        out += "^^<";
        out += value(datatype(id));
        out += '>';
      }
      break;
  }
  return out;
}

std::shared_ptr<TermTable> TermTable::clone() const {
  auto copy = std::make_shared<TermTable>();
  // Ids are handed out in order and a literal's datatype is interned before it, so interning
  // every term again in id order reproduces the ids; the constructor's well-known terms are
  // the first ids of both tables.
  for (TermId id = static_cast<TermId>(copy->size()); id < records_.size(); ++id) {
    const Record* r = records_[id];
    TermId same = copy->intern(r->kind, {r->text(), r->length}, r->datatype,
                               {r->text() + r->length, r->lang_length});
    if (same != id) throw std::logic_error("TermTable::clone: ids diverged");  // a bug, not input
  }
  copy->next_document_ = next_document_;
  copy->next_blank_ = next_blank_;
  return copy;
}

std::string TermTable::fresh_blank_prefix() { return "d" + std::to_string(++next_document_) + "_"; }

TermId TermTable::fresh_blank() {
  while (true) {
    std::string label = "g" + std::to_string(++next_blank_);
    size_t h = hash_term(TermKind::kBlank, label, kNoTerm, {});
    if (find(TermKind::kBlank, label, kNoTerm, {}, h, nullptr) == kNoTerm) return blank(label);
  }
}

}  // namespace mpli::rdf
