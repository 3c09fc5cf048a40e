Attribute VB_Name = "xlcalc_verify"
' xlcalc: the "verify" button on the scoring sheet (macro XlcalcVerify).
'
' Runs the Python verifier through xlwings' RunPython:
'     import xlcalc.bridge; xlcalc.bridge.verify_caller()
' RunPython lives in the module "xlwings" embedded in this workbook (the
' standalone form of xlwings' own VBA, copied unchanged from the xlwings
' package, together with its "Dictionary" class), so no add-in and no VBA
' reference are needed.
'
' Requirements on the user's computer:
'   * Python with xlcalc installed, and xlwings of exactly the version of the
'     embedded VBA (XLCALC_XLWINGS_VERSION below): pip install xlwings==0.37.8
'   * Python found as "python" on PATH, or an "Interpreter_Win" /
'     "Interpreter_Mac" entry in an xlwings.conf file beside this workbook or
'     in %USERPROFILE%\.xlwings\xlwings.conf
'   * on macOS, "xlwings runpython install" run once.
'
' This module does not compile in LibreOffice (xlwings' VBA does not), which
' is why the recalculate button lives in a separate, plain module.
'
' Note for maintainers: string literals holding Chinese are rewritten into
' ChrW(...) calls when the workbook is built (see xlcalc/xlsm.py); comments
' and identifiers must stay ASCII.
Option Explicit

' The xlwings version whose VBA is embedded; Python's xlwings must match it.
' xlcalc/xlsm.py checks this against the embedded module when building.
Public Const XLCALC_XLWINGS_VERSION As String = "0.37.8"

' Runs behind the button.
Public Sub XlcalcVerify()
    On Error GoTo Failed
    RunPython "import xlcalc.bridge; xlcalc.bridge.verify_caller()"
    Exit Sub
Failed:
    MsgBox "校验无法运行：" & Err.Description & vbLf & vbLf & _
        "校验需要本机安装Python，并安装xlcalc和xlwings " & XLCALC_XLWINGS_VERSION & _
        "（须与本工作簿内嵌的xlwings VBA版本一致：pip install xlwings==" & XLCALC_XLWINGS_VERSION & "）。", _
        vbExclamation, "校验"
End Sub
