// roundtrip: a C++ translation unit that includes imgshare.h (implementation too) and round-trips an image.
//
//   roundtrip KEY      exit 0 if a 317x211 RGBA image with padded rows comes back byte for byte, both
//                      copied into a std::vector and borrowed, and the key is empty after close.
#define IMGSHARE_IMPLEMENTATION
#include "../imgshare.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace {

int fail(const char *what)
{
    std::fprintf(stderr, "roundtrip: %s: %s\n", what, imgshare_message());
    return 1;
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    const uint32_t width = 317, height = 211;
    const size_t row = imgshare_row_bytes(IMGSHARE_MODE_RGBA, width), stride = row + 12;
    std::vector<unsigned char> source(stride * height, 0xAB);
    for (size_t y = 0; y < height; y++)
        for (size_t x = 0; x < row; x++)
            source[y * stride + x] = static_cast<unsigned char>(x * 3 + y * 5);

    imgshare_sender *sender = nullptr;
    if (imgshare_sender_open(&sender, argv[1]) != IMGSHARE_OK)
        return fail("open the sender");
    imgshare_extras extras{};
    extras.source_name = "from C++";
    if (imgshare_share(sender, source.data(), width, height, IMGSHARE_MODE_RGBA, stride, &extras) != IMGSHARE_OK)
        return fail("share");

    imgshare_receiver *receiver = nullptr;
    if (imgshare_receiver_open(&receiver, argv[1]) != IMGSHARE_OK)
        return fail("open the receiver");
    std::vector<unsigned char> copy(row * height);
    imgshare_info info{};
    if (imgshare_receive(receiver, copy.data(), copy.size(), 0, &info) != IMGSHARE_OK)
        return fail("receive");
    const void *borrowed = nullptr;
    imgshare_info borrowed_info{};
    if (imgshare_borrow(receiver, &borrowed, &borrowed_info) != IMGSHARE_OK)
        return fail("borrow");
    for (size_t y = 0; y < height; y++) {
        if (std::memcmp(&copy[y * row], &source[y * stride], row) != 0 ||
            std::memcmp(static_cast<const unsigned char *>(borrowed) + y * borrowed_info.stride, &source[y * stride], row) != 0) {
            std::fprintf(stderr, "roundtrip: row %zu differs\n", y);
            return 1;
        }
    }
    if (info.width != width || info.height != height || info.mode != IMGSHARE_MODE_RGBA || info.sequence != 1 ||
        std::strcmp(info.source_name, "from C++") != 0 || !info.sender_alive)
        return fail("metadata");
    imgshare_receiver_close(receiver);
    imgshare_sender_close(sender, 0);

    imgshare_receiver *after = nullptr;
    imgshare_receiver_open(&after, argv[1]);
    const imgshare_status gone = imgshare_receive_info(after, &info);
    imgshare_receiver_close(after);
    if (gone != IMGSHARE_NOT_SHARED)
        return fail("the share outlived close");
    std::puts("ok");
    return 0;
}
