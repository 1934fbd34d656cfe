#include "shared/sha256.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "shared/errors.hpp"

namespace subctl {

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
    if (context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
        throw Error(Exit::internal, "internal_error", "sha256 is not available");
    }
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

void Sha256::update(const char* data, std::size_t size) { EVP_DigestUpdate(context_, data, size); }

std::string Sha256::hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(context_, digest, &size);
    std::string text;
    for (unsigned int i = 0; i < size; ++i) text += fmt::format("{:02x}", digest[i]);
    return text;
}

}  // namespace subctl
