import XCTest
@testable import ImageIO

/// Hostile input: deterministic random mutations and truncations of valid files must give an
/// image or an ``ImageIOError``, never a crash, a hang or a libjpeg/libpng `exit()`.
/// (Run under `swift test --sanitize=address` to check the C shims' memory safety too.)
final class DecoderRobustnessTests: XCTestCase {
    /// SplitMix64, so failures reproduce.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testMutatedFilesNeverCrash() throws {
        var generator = Generator(state: 42)
        var outcomes: [String: Int] = [:]
        let names = ["progressive.jpg", "odd420.jpg", "cmyk.jpg", "grey.jpg", "rgb_interlaced.png", "palette2.png", "grey_alpha.png",
                     "modes/palette_simple_trns.png", "modes/rgb16_trns.png", "modes/grey4_trns_wide.png"]
        for name in names {
            let original = try TestData.bytes(TestData.fixture(name))
            for round in 0..<150 {
                var bytes = original
                switch round % 3 {
                case 0:  // flip a few bytes anywhere
                    for _ in 0..<Int.random(in: 1...8, using: &generator) {
                        bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                    }
                case 1:  // truncate
                    bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
                default:  // splice in random garbage
                    let at = Int.random(in: 0..<bytes.count, using: &generator)
                    let garbage = (0..<Int.random(in: 1...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    bytes.insert(contentsOf: garbage, at: at)
                }
                do {
                    // Every mode, so that the conversions see damaged input too.
                    let mode = ColorMode.allCases[(round / 3) % 3]
                    let image = try ImageDecoder.decode(bytes, path: name, mode: mode, limits: DecodeLimits(maxPixels: 1 << 20))
                    XCTAssertEqual(image.mode, mode)
                    XCTAssertEqual(image.pixels.count, image.width * image.height * mode.channels)
                    outcomes["decoded", default: 0] += 1
                } catch let error as ImageIOError {
                    outcomes[String(describing: error).components(separatedBy: ":").dropFirst().first ?? "?", default: 0] += 1
                }
            }
        }
        XCTAssertEqual(outcomes.values.reduce(0, +), names.count * 150)
    }
}
