#pragma once
// SHA-256 of a stream of bytes (OpenSSL), in lowercase hex: a batch file's identity.
#include <cstddef>
#include <string>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace subctl {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const char* data, std::size_t size);
    std::string hex();  // the digest of everything given to update, once

private:
    evp_md_ctx_st* context_;
};

}  // namespace subctl
