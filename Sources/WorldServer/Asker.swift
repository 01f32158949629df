// Who asked a feature for a change that is answered after the store's commit: a client's
// request, or an operator through the admin API (which waits for an OperatorReply). The
// notice board and the suggestion box answer both the same way.

import NetProto

enum Asker {
    case session(id: UInt64, request: UInt32)
    case operatorReply(@Sendable (OperatorReply) -> Void)
}

extension Server {
    /// A refusal or a failure: an `error` with the request's id to a client (if still
    /// connected), the HTTP status and the sentence to an operator.
    func tell(_ asker: Asker, code: ErrorCode, status: Int, text: String) {
        switch asker {
        case .session(let id, let request): sessions[id]?.send(.error(code: code, requestID: request, text: text))
        case .operatorReply(let reply): reply(OperatorReply(status: status, message: text))
        }
    }
}
