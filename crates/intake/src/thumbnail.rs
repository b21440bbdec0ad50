//! Thumbnails of scanned pages. JPEGs are decoded at a reduced DCT scale (as libjpeg-turbo and
//! libvips do), so a 300-dpi A4 page is never decoded at full size; then a box filter brings
//! the image within the bound, and it is written as PNG.

use crate::FileKind;

/// RGB pixels.
struct Rgb {
    width: usize,
    height: usize,
    data: Vec<u8>,
}

fn decode_jpeg(bytes: &[u8], max: u16) -> Result<Rgb, String> {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    let (w, h) = d.scale(max, max).map_err(|e| e.to_string())?;
    let pixels = d.decode().map_err(|e| e.to_string())?;
    let info = d.info().ok_or("no image header")?;
    let (w, h) = (w as usize, h as usize);
    let data = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&g| [g, g, g]).collect(),
        jpeg_decoder::PixelFormat::L16 => pixels
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|c| {
                let k = 255 - u32::from(c[3]);
                [c[0], c[1], c[2]].map(|v| ((255 - u32::from(v)) * k / 255) as u8)
            })
            .collect(),
    };
    if data.len() != w * h * 3 {
        return Err(format!("decoded {} bytes for {w}×{h}", data.len()));
    }
    Ok(Rgb {
        width: w,
        height: h,
        data,
    })
}

fn decode_png(bytes: &[u8]) -> Result<Rgb, String> {
    let mut d = png::Decoder::new(std::io::Cursor::new(bytes));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = d.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let frame = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let px = &buf[..frame.buffer_size()];
    let data: Vec<u8> = match frame.color_type {
        png::ColorType::Rgb => px.to_vec(),
        png::ColorType::Rgba => px
            .chunks_exact(4)
            .flat_map(|c| [c[0], c[1], c[2]])
            .collect(),
        png::ColorType::Grayscale => px.iter().flat_map(|&g| [g, g, g]).collect(),
        png::ColorType::GrayscaleAlpha => px
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0]])
            .collect(),
        png::ColorType::Indexed => return Err("palette not expanded".into()),
    };
    Ok(Rgb {
        width: frame.width as usize,
        height: frame.height as usize,
        data,
    })
}

/// Averages boxes of source pixels so the result fits within `max`×`max`.
fn fit(img: Rgb, max: usize) -> Rgb {
    let scale = (img.width.max(img.height) as f64 / max as f64).max(1.0);
    let (w, h) = (
        ((img.width as f64 / scale).round() as usize).max(1),
        ((img.height as f64 / scale).round() as usize).max(1),
    );
    if (w, h) == (img.width, img.height) {
        return img;
    }
    let mut data = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        let (y0, y1) = (
            y * img.height / h,
            ((y + 1) * img.height / h).max(y * img.height / h + 1),
        );
        for x in 0..w {
            let (x0, x1) = (
                x * img.width / w,
                ((x + 1) * img.width / w).max(x * img.width / w + 1),
            );
            let mut sum = [0u32; 3];
            for sy in y0..y1 {
                let row = &img.data[(sy * img.width + x0) * 3..(sy * img.width + x1) * 3];
                for px in row.chunks_exact(3) {
                    for c in 0..3 {
                        sum[c] += u32::from(px[c]);
                    }
                }
            }
            let n = ((y1 - y0) * (x1 - x0)) as u32;
            data.extend(sum.map(|s| (s / n) as u8));
        }
    }
    Rgb {
        width: w,
        height: h,
        data,
    }
}

fn encode_png(img: &Rgb) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, img.width as u32, img.height as u32);
    e.set_color(png::ColorType::Rgb);
    e.set_depth(png::BitDepth::Eight);
    let mut w = e.write_header().map_err(|e| e.to_string())?;
    w.write_image_data(&img.data).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// A PDF's page count (`pdfinfo`) and its first page as a PNG within `max`×`max`
/// (`pdftoppm`), both from Debian's poppler-utils. The error is poppler's own word.
pub fn pdf_first_page(path: &std::path::Path, max: u16) -> Result<(u32, Vec<u8>), String> {
    let run = |cmd: &str, args: &[&std::ffi::OsStr]| -> Result<Vec<u8>, String> {
        let out = std::process::Command::new(cmd)
            .args(args)
            .output()
            .map_err(|e| format!("{cmd} 无法运行: {e}；请安装 poppler-utils"))?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(err
                .lines()
                .next()
                .unwrap_or("unreadable")
                .trim()
                .to_string())
        }
    };
    let info = run("pdfinfo", &[path.as_os_str()])?;
    let pages = String::from_utf8_lossy(&info)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse::<u32>()))
        .ok_or("pdfinfo reported no page count")?
        .map_err(|e| e.to_string())?;
    if pages == 0 {
        return Err("no pages".into());
    }
    let size = max.to_string();
    let png = run(
        "pdftoppm",
        &[
            "-f".as_ref(),
            "1".as_ref(),
            "-l".as_ref(),
            "1".as_ref(),
            "-scale-to".as_ref(),
            size.as_ref(),
            "-png".as_ref(),
            "-singlefile".as_ref(),
            path.as_os_str(),
        ],
    )?;
    if !png.starts_with(b"\x89PNG") {
        return Err("pdftoppm produced no image".into());
    }
    Ok((pages, png))
}

/// A PNG thumbnail no larger than `max`×`max`; the error says why the image cannot be read.
pub fn render(kind: FileKind, bytes: &[u8], max: u16) -> Result<Vec<u8>, String> {
    let img = match kind {
        FileKind::Jpeg => decode_jpeg(bytes, max)?,
        FileKind::Png => decode_png(bytes)?,
        FileKind::Pdf => return Err("PDF thumbnails are made by poppler".into()),
    };
    encode_png(&fit(img, max as usize))
}
