// static-secret: a credential kept in Signet's vault and handed to authorized workloads:
// for destinations with no federation yet (many AI and SaaS APIs take only an API key).
// The workload never holds the key's lifecycle: the platform team rotates it in the
// vault (`signet secret put`), and every workload gets the new value on its next request.
//
// Settings: `secret` (required), the vault secret's name; `scheme`, how a request
// presents it:
//   - bearer (default): `Authorization: Bearer <value>`; a token credential, so also
//     served by the RFC 8693 endpoint;
//   - basic: `Authorization: Basic base64(<value>)`, the value being "user:password";
//   - header: `<header>: <value>`, with the setting `header` naming it (e.g. x-api-key).
// basic and header are headers credentials, served by POST /v1/credentials only.
//
// The vault is read on every request (off the I/O thread: CallsOut), so a rotated or
// deleted secret takes effect at once; the credential is reported to expire when the
// lifetime policy granted ends, so workloads ask again by then.
#pragma once

#include "credentials/provider.h"

namespace signet::credentials {

// The kind's registry entry.
ProviderKind StaticSecretKind();

}  // namespace signet::credentials
