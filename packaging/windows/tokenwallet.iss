; Inno Setup script for tokenwallet (per-user install, no administrator rights needed).
; Build the PyInstaller folder first (packaging\pyinstaller\build.ps1), then from the repository root:
;   iscc /DAppVersion=0.1.0 packaging\windows\tokenwallet.iss
; Output: dist\tokenwallet-<version>-setup.exe

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppId "io.github.tokenwallet.TokenWallet"
#define Root "..\.."

[Setup]
; AppId keeps upgrades and uninstall tied to one product; braces are escaped as {{.
AppId={{io.github.tokenwallet.TokenWallet}
AppName=tokenwallet
AppVersion={#AppVersion}
AppPublisher=tokenwallet developers
AppPublisherURL=https://github.com/tokenwallet/tokenwallet
AppSupportURL=https://github.com/tokenwallet/tokenwallet/issues
DefaultDirName={localappdata}\Programs\tokenwallet
DefaultGroupName=tokenwallet
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
OutputDir={#Root}\dist
OutputBaseFilename=tokenwallet-{#AppVersion}-setup
SetupIconFile={#Root}\resources\icons\{#AppId}.ico
UninstallDisplayIcon={app}\tokenwallet.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; The tray app may be running during an upgrade or uninstall.
CloseApplications=yes

[Tasks]
Name: "autostart"; Description: "Start tokenwallet when I sign in"; GroupDescription: "Startup:"
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\dist\tokenwallet\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\tokenwallet"; Filename: "{app}\tokenwallet.exe"; AppUserModelID: "{#AppId}"
Name: "{autodesktop}\tokenwallet"; Filename: "{app}\tokenwallet.exe"; Tasks: desktopicon

[Registry]
; The same value `tokenwallet autostart on` writes, so the app's switch and the installer agree.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; \
  ValueName: "tokenwallet"; ValueData: """{app}\tokenwallet.exe"" --background"; \
  Tasks: autostart; Flags: uninsdeletevalue
; Remove the value on uninstall even when it was set from the app rather than the installer.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueName: "tokenwallet"; \
  ValueType: none; Flags: uninsdeletevalue dontcreatekey

[Run]
Filename: "{app}\tokenwallet.exe"; Description: "{cm:LaunchProgram,tokenwallet}"; \
  Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{cmd}"; Parameters: "/C taskkill /IM tokenwallet.exe /F"; Flags: runhidden; RunOnceId: "StopTray"
