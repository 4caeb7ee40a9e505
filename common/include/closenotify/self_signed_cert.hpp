// An ephemeral certificate, so the server runs with no set-up at all.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace closenotify {

struct certificate_pem {
  std::string cert;         // PEM
  std::string key;          // PEM, PKCS#8
  std::string fingerprint;  // SHA-256 of the DER certificate, "AB:CD:..."
};

// ECDSA P-256, self-signed, serverAuth, with the given DNS names and IP addresses as SANs.
certificate_pem make_self_signed_certificate(const std::vector<std::string>& dns_names,
                                             const std::vector<std::string>& ip_addresses,
                                             std::chrono::hours validity);

// The server's default: localhost, 127.0.0.1 and ::1, valid for 30 days.
certificate_pem make_localhost_certificate();

// SHA-256 fingerprint of the first certificate in a PEM text.
std::string pem_fingerprint(const std::string& cert_pem);

}  // namespace closenotify
