#include "services/delivery/handlers/bus_handlers.h"

namespace mpli::delivery {

namespace {
using service::CallContext;
}  // namespace

Status serve_order_subjects(service::ServiceContext& context, OrderService& orders) {
  MPLI_RETURN_IF_ERROR((context.serve<v1::CreateOrderRequest, v1::CreateOrderReply>(
      "create_order", [&orders](const v1::CreateOrderRequest& request, const CallContext&) {
        return orders.create(request);
      })));
  MPLI_RETURN_IF_ERROR((context.serve<v1::GetOrderRequest, v1::GetOrderReply>(
      "get_order",
      [&orders](const v1::GetOrderRequest& request,
                const CallContext&) -> Result<v1::GetOrderReply> {
        v1::GetOrderReply reply;
        MPLI_ASSIGN_OR_RETURN(*reply.mutable_order(), orders.get(request));
        return reply;
      })));
  MPLI_RETURN_IF_ERROR((context.serve<v1::ListOrdersRequest, v1::ListOrdersReply>(
      "list_orders", [&orders](const v1::ListOrdersRequest& request, const CallContext&) {
        return orders.list(request);
      })));
  MPLI_RETURN_IF_ERROR((context.serve<v1::ModifyOrderRequest, v1::ModifyOrderReply>(
      "modify_order",
      [&orders](const v1::ModifyOrderRequest& request,
                const CallContext&) -> Result<v1::ModifyOrderReply> {
        v1::ModifyOrderReply reply;
        MPLI_ASSIGN_OR_RETURN(*reply.mutable_order(), orders.modify(request));
        return reply;
      })));
  MPLI_RETURN_IF_ERROR((context.serve<v1::DeleteOrderRequest, v1::DeleteOrderReply>(
      "delete_order",
      [&orders](const v1::DeleteOrderRequest& request,
                const CallContext&) -> Result<v1::DeleteOrderReply> {
        v1::DeleteOrderReply reply;
        MPLI_ASSIGN_OR_RETURN(*reply.mutable_order(), orders.remove(request));
        return reply;
      })));
  // Portability's subjects: the bus permissions decide who may send them (CallContext does not
  // name the caller).
  MPLI_RETURN_IF_ERROR((context.serve<v1::SubmitTaskRequest, v1::SubmitTaskReply>(
      "submit_task", [&orders](const v1::SubmitTaskRequest& request, const CallContext&) {
        return orders.submit_task(request);
      })));
  MPLI_RETURN_IF_ERROR((context.serve<v1::GetTaskRequest, v1::GetTaskReply>(
      "get_task",
      [&orders](const v1::GetTaskRequest& request, const CallContext&) -> Result<v1::GetTaskReply> {
        v1::GetTaskReply reply;
        MPLI_ASSIGN_OR_RETURN(*reply.mutable_task(), orders.get_task(request));
        return reply;
      })));
  return context.serve<v1::MoveOrderRequest, v1::MoveOrderReply>(
      "move_order",
      [&orders](const v1::MoveOrderRequest& request,
                const CallContext&) -> Result<v1::MoveOrderReply> {
        v1::MoveOrderReply reply;
        MPLI_ASSIGN_OR_RETURN(*reply.mutable_order(), orders.move(request));
        return reply;
      });
}

}  // namespace mpli::delivery
