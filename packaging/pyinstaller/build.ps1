# Build the tokenwallet bundle with PyInstaller on Windows, then the installer if Inno Setup is present.
# usage: powershell -File packaging\pyinstaller\build.ps1 [-Python py]   (needs `pip install .[bundle]`)
param([string]$Python = "python")
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
& $Python packaging\render_icons.py --check
if ($LASTEXITCODE -ne 0) { throw "icons are out of date: run $Python packaging\render_icons.py" }
& $Python -m PyInstaller --noconfirm --clean --log-level WARN `
  --distpath dist --workpath build\pyinstaller packaging\pyinstaller\tokenwallet.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
Write-Host "built dist\tokenwallet\tokenwallet.exe"
$iscc = Get-Command iscc.exe -ErrorAction SilentlyContinue
if ($iscc) {
  $version = & $Python -c "import tokenwallet; print(tokenwallet.__version__)"
  & $iscc.Source "/DAppVersion=$version" packaging\windows\tokenwallet.iss
  if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
} else {
  Write-Host "Inno Setup (iscc.exe) not found; skipping the installer"
}
