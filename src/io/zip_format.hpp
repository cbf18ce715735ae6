#pragma once

#include <cstddef>
#include <cstdint>

namespace glide::io::detail::zip {

// Record signatures and the local header's fixed size, from PKWARE's APPNOTE.TXT (sections 4.3.7,
// 4.3.12, 4.3.14-16): shared by the .pt reader's index and the writer.
constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50;
constexpr uint32_t kEnd64LocatorSig = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr uint16_t kZip64ExtraId = 0x0001;

}  // namespace glide::io::detail::zip
