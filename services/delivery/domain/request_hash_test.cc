#include "services/delivery/domain/request_hash.h"

#include <catch2/catch.hpp>

using namespace mpli::delivery;

TEST_CASE("the request hash ignores the key and parameter order, not the request") {
  v1::CreateOrderRequest a;
  a.set_tenant("acme");
  a.set_idempotency_key("k1");
  a.set_offering_id("https://p.example/#o");
  (*a.mutable_parameters())["x"] = "1";
  (*a.mutable_parameters())["y"] = "2";
  v1::CreateOrderRequest b = a;
  b.set_idempotency_key("k2");
  b.mutable_parameters()->clear();
  (*b.mutable_parameters())["y"] = "2";
  (*b.mutable_parameters())["x"] = "1";
  CHECK(request_hash(a) == request_hash(b));
  CHECK(request_hash(a).size() == 64);

  v1::CreateOrderRequest one = a;
  one.set_quantity(1);
  CHECK(request_hash(a) == request_hash(one));  // 0 means 1 for an offering

  v1::CreateOrderRequest other = a;
  (*other.mutable_parameters())["x"] = "3";
  CHECK(request_hash(a) != request_hash(other));
  v1::CreateOrderRequest tenant = a;
  tenant.set_tenant("globex");
  CHECK(request_hash(a) != request_hash(tenant));
}
