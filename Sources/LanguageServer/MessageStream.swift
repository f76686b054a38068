import Interpreter

#if canImport(Glibc)
import Glibc
#endif

/// JSON-RPC messages over a pair of descriptors, framed as the Language
/// Server Protocol frames them: `Content-Length: N`, a blank line, then N
/// bytes of JSON. Other headers (`Content-Type`) are read and ignored.
struct MessageStream {
    let input: Int32
    let output: Int32
    var buffer: [UInt8] = []

    init(input: Int32 = 0, output: Int32 = 1) {
        self.input = input
        self.output = output
    }

    enum ReadError: Error { case endOfInput, badHeader(String), badJSON(String) }

    /// The next message; `.endOfInput` when the client closed the stream.
    mutating func read() throws -> JSON {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = find(separator)
            if headerEnd == nil { try fill() }
        }
        let header = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        buffer.removeFirst(headerEnd! + separator.count)
        var length: Int?
        for line in header.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                length = Int(parts[1].trimmingCharacters(in: " "))
            }
        }
        guard let length, length >= 0 else { throw ReadError.badHeader(header) }
        while buffer.count < length { try fill() }
        let body = String(decoding: buffer[..<length], as: UTF8.self)
        buffer.removeFirst(length)
        do { return try JSON.parse(body) } catch { throw ReadError.badJSON(body) }
    }

    func write(_ message: JSON) {
        let body = Array(message.serialized.utf8)
        var bytes = Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(output, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes.removeFirst(written)
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for start in 0...(buffer.count - needle.count) where buffer[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }

    private mutating func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { return }
        guard count > 0 else { throw ReadError.endOfInput }
        buffer += chunk[..<count]
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
