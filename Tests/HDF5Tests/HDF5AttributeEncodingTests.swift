import CHDF5
import Foundation
@testable import HDF5
import XCTest
import _TestSupport

/// Writes small HDF5 files straight through the C API (the smoke test that libhdf5 links and
/// works), with every string-attribute encoding Keras files use, then reads them back.
final class HDF5AttributeEncodingTests: XCTestCase {
    var directory: URL!
    override func setUpWithError() throws {
        directory = TestSupport.temporaryDirectory()
        // These tests call libhdf5 directly to build files: it must be loaded (dlopen) first.
        try HDF5Library.initialize()
    }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    /// Writes `values` as a 1-D (or scalar when `scalar`) string attribute.
    func writeStrings(_ loc: hid_t, _ name: String, _ values: [String], variable: Bool, utf8: Bool, scalar: Bool = false) {
        let type = H5Tcopy(chdf5_c_s1())
        defer { H5Tclose(type) }
        H5Tset_cset(type, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII)
        var dims: [hsize_t] = [hsize_t(values.count)]
        let space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        if variable {
            H5Tset_size(type, chdf5_variable_size())
            let cStrings = values.map { strdup($0) }
            defer { cStrings.forEach { free($0) } }
            var pointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
            let attr = H5Acreate2(loc, name, type, space, chdf5_p_default(), chdf5_p_default())
            XCTAssertGreaterThanOrEqual(H5Awrite(attr, type, &pointers), 0)
            H5Aclose(attr)
        } else {
            let width = max(1, values.map(\.utf8.count).max() ?? 1)
            H5Tset_size(type, width)
            H5Tset_strpad(type, H5T_STR_NULLPAD)
            var buffer = [UInt8](repeating: 0, count: width * values.count)
            for (i, v) in values.enumerated() { for (j, b) in v.utf8.enumerated() { buffer[i * width + j] = b } }
            let attr = H5Acreate2(loc, name, type, space, chdf5_p_default(), chdf5_p_default())
            XCTAssertGreaterThanOrEqual(H5Awrite(attr, type, &buffer), 0)
            H5Aclose(attr)
        }
    }

    func makeFile(_ body: (hid_t) -> Void) -> String {
        let path = directory.appendingPathComponent("t.h5").path
        let file = H5Fcreate(path, chdf5_acc_trunc(), chdf5_p_default(), chdf5_p_default())
        XCTAssertGreaterThanOrEqual(file, 0, "libhdf5 could not create a file")
        body(file)
        H5Fclose(file)
        return path
    }

    func testLibraryLinksAndReportsItsVersion() {
        XCTAssertTrue(HDF5Library.version.hasPrefix("1."), HDF5Library.version)
        XCTAssertTrue(HDF5Library.loadedPath?.contains("hdf5") == true, "\(HDF5Library.loadedPath ?? "not loaded")")
    }

    func testEveryStringEncodingReadsBack() throws {
        let names = ["block1_conv1", "block1_conv2", "ünïcode_layer"]
        let path = makeFile { f in
            writeStrings(f, "vlen_ascii", names, variable: true, utf8: false)
            writeStrings(f, "vlen_utf8", names, variable: true, utf8: true)
            writeStrings(f, "fixed_ascii", names, variable: false, utf8: false)
            writeStrings(f, "fixed_utf8", names, variable: false, utf8: true)
            writeStrings(f, "scalar", ["3.15.1"], variable: true, utf8: true, scalar: true)
            writeStrings(f, "fixed_scalar", ["tensorflow"], variable: false, utf8: false, scalar: true)
            // Keras writes np.asarray([]) (float64, shape (0,)) for a weightless layer's weight_names.
            var zero: [hsize_t] = [0]
            let space = H5Screate_simple(1, &zero, nil)
            let attr = H5Acreate2(f, "empty", chdf5_native_double(), space, chdf5_p_default(), chdf5_p_default())
            H5Aclose(attr)
            H5Sclose(space)
        }
        let file = try H5File.open(path: path)
        for attr in ["vlen_ascii", "vlen_utf8", "fixed_ascii", "fixed_utf8"] {
            XCTAssertEqual(try file.root.stringsAttribute(attr), names, attr)
        }
        XCTAssertEqual(try file.root.stringAttribute("scalar"), "3.15.1")
        XCTAssertEqual(try file.root.stringAttribute("fixed_scalar"), "tensorflow")
        XCTAssertEqual(try file.root.stringsAttribute("empty"), [])
        XCTAssertThrowsError(try file.root.stringsAttribute("missing"))
    }

    func testChunkedListsConcatenateInOrder() throws {
        // Keras splits long lists into layer_names0, layer_names1, … as fixed-length numpy 'S' arrays.
        let all = (0..<3000).map { "layer_with_a_rather_long_name_\($0)" }
        let path = makeFile { f in
            writeStrings(f, "layer_names0", Array(all[0..<1500]), variable: false, utf8: false)
            writeStrings(f, "layer_names1", Array(all[1500...]), variable: false, utf8: false)
            writeStrings(f, "weight_names", ["kernel:0", "bias:0"], variable: true, utf8: false)
        }
        let file = try H5File.open(path: path)
        XCTAssertEqual(try file.root.chunkedStringsAttribute("layer_names"), all)
        XCTAssertEqual(try file.root.chunkedStringsAttribute("weight_names"), ["kernel:0", "bias:0"])
        XCTAssertNil(try file.root.chunkedStringsAttribute("nothing"))
    }

    func testSoftLinksAreNotFollowed() throws {
        let path = makeFile { f in
            let g = H5Gcreate2(f, "real", chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
            H5Gclose(g)
            H5Lcreate_soft("/real", f, "alias", chdf5_p_default(), chdf5_p_default())
            H5Lcreate_external("elsewhere.h5", "/x", f, "outside", chdf5_p_default(), chdf5_p_default())
        }
        let file = try H5File.open(path: path)
        XCTAssertEqual(try file.root.kind(of: "real"), .group)
        XCTAssertEqual(try file.root.kind(of: "alias"), .unsupported("soft link"))
        XCTAssertEqual(try file.root.kind(of: "outside"), .unsupported("external link"))
        XCTAssertThrowsError(try file.root.group("alias")) { XCTAssertTrue("\($0)".contains("refuses"), "\($0)") }
        XCTAssertThrowsError(try file.root.group("outside"))
    }

    func testDatasetBytesAndExternalStorageRefusal() throws {
        let values: [Float] = [1.5, -2.25, 3.125, 0]
        let path = makeFile { f in
            var dims: [hsize_t] = [2, 2]
            let space = H5Screate_simple(2, &dims, nil)
            let ds = H5Dcreate2(f, "w", chdf5_ieee_f32le(), space, chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
            var v = values
            H5Dwrite(ds, chdf5_native_float(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), &v)
            H5Dclose(ds)
            let dcpl = H5Pcreate(chdf5_p_dataset_create())
            H5Pset_external(dcpl, "raw.bin", 0, 16)
            let ext = H5Dcreate2(f, "ext", chdf5_ieee_f32le(), space, chdf5_p_default(), dcpl, chdf5_p_default())
            H5Dclose(ext)
            H5Pclose(dcpl)
            H5Sclose(space)
        }
        let file = try H5File.open(path: path)
        let (type, shape, bytes) = try file.root.dataset("w").readLittleEndianBytes()
        XCTAssertEqual(type, .float(bytes: 4))
        XCTAssertEqual(shape, [2, 2])
        XCTAssertEqual(bytes, values.withUnsafeBytes { Array($0) })
        XCTAssertThrowsError(try file.root.dataset("ext").readLittleEndianBytes()) { XCTAssertTrue("\($0)".contains("external"), "\($0)") }
    }

    func testNotHDF5IsAClearError() throws {
        let path = directory.appendingPathComponent("x.h5").path
        try Data("plain text".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try H5File.open(path: path)) { XCTAssertTrue("\($0)".contains("not an HDF5 file"), "\($0)") }
    }
}
