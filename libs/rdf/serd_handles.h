// RAII owners for Serd's C handles (reader, environment, heap nodes), private to libs/rdf.
// Each handle is freed exactly once, by the destructor of the object that owns it.
#pragma once

#include <serd/serd.h>

#include <memory>

namespace mpli::rdf::serd {

struct ReaderDeleter {
  void operator()(SerdReader* r) const { serd_reader_free(r); }
};
struct EnvDeleter {
  void operator()(SerdEnv* e) const { serd_env_free(e); }
};

using ReaderPtr = std::unique_ptr<SerdReader, ReaderDeleter>;
using EnvPtr = std::unique_ptr<SerdEnv, EnvDeleter>;

// A SerdNode value whose buffer Serd allocated (serd_env_expand_node, serd_node_new_*).
class OwnedNode {
 public:
  explicit OwnedNode(SerdNode node) : node_(node) {}
  OwnedNode(const OwnedNode&) = delete;
  OwnedNode& operator=(const OwnedNode&) = delete;
  ~OwnedNode() { serd_node_free(&node_); }
  const SerdNode& get() const { return node_; }
  bool empty() const { return node_.buf == nullptr; }

 private:
  SerdNode node_;
};

}  // namespace mpli::rdf::serd
