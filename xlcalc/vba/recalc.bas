Attribute VB_Name = "xlcalc_recalc"
' xlcalc: the "recalculate" button on the scoring sheet (macro XlcalcRecalculate).
'
' Plain VBA: no reference to xlwings or to any library, so it compiles in
' Excel (Windows and macOS) and in LibreOffice, and needs no Python.
'
' 1. Full recalculation (Application.CalculateFull). LibreOffice has no
'    CalculateFull (an unhandled call stops the macro), so the error is trapped
'    and Application.Calculate runs instead.
' 2. Formula integrity check against the hidden formula index sheet named by
'    FormulaListSheetName(). From row 2 on (row 1 holds headers) each row
'    describes one block of formula cells:
'      A = sheet name,
'      B = an A1 range, the block ("C4:C13", or a single cell "D7"),
'      C = the formula of the block's FIRST cell, without the leading "="
'          and without "_xlfn." prefixes.
'    Every cell of a block holds the same R1C1 formula as its first cell. So:
'      * the first cell's .Formula must equal "=" & C, both normalised
'        (every "'" dropped, since Excel drops sheet-name quotes it does not
'        need when reading a formula back; "_xlfn." dropped; case ignored);
'      * every other cell's .FormulaR1C1 must equal the first cell's;
'      * a cell holding no formula (Not .HasFormula) has been overwritten.
'    When the first cell itself is wrong, the other cells are compared with
'    the R1C1 formula most of them share, leaving out the first cell's
'    (changed) one: cells still holding that changed formula count as changed.
'    The result, "N formulas, M changed or overwritten" with up to MAX_LISTED
'    cell addresses, is shown in a message box.
'
' The macro only reads cells: it writes nothing, so sheet protection stays
' as it is.
'
' Note for maintainers: this file is UTF-8. VBA stores module source in the
' project's ANSI code page, which cannot hold Chinese, so xlcalc.xlsm
' rewrites every string literal holding non-ASCII characters into ChrW(...)
' calls when it builds the workbook (see xlcalc/xlsm.py). Comments and
' identifiers must stay ASCII; a Const cannot hold Chinese text.
Option Explicit

Private Const MAX_LISTED As Long = 20

' Runs behind the button: recalculate everything, then check the formulas.
Public Sub XlcalcRecalculate()
    Dim report As String
    RecalculateAll
    report = XlcalcIntegrityReport()
    MsgBox report, vbInformation, "重新计算"
End Sub

' Full recalculation where the host supports it, plain recalculation otherwise.
' LibreOffice answers "Microsoft Excel" to Application.Name, so the host is not
' asked: there CalculateFull raises error 423 (measured), which is trapped here,
' and Application.Calculate runs instead.
Private Sub RecalculateAll()
    On Error Resume Next
    Application.CalculateFull
    If Err.Number <> 0 Then
        Err.Clear
        Application.Calculate
    End If
    On Error GoTo 0
End Sub

' The message shown after recalculation. Public so it can be tested without
' a message box (for example from LibreOffice driven headless).
Public Function XlcalcIntegrityReport() As String
    Dim listSheet As Object
    Dim data As Variant
    Dim lastRow As Long, r As Long
    Dim total As Long, changed As Long
    Dim sheetName As String, blockAddress As String, expected As String
    Dim listed As String, head As String

    Set listSheet = FindSheet(FormulaListSheetName())
    If listSheet Is Nothing Then
        XlcalcIntegrityReport = "重新计算完成。未找到公式清单工作表（_公式），无法检查公式完整性。"
        Exit Function
    End If

    lastRow = listSheet.UsedRange.Row + listSheet.UsedRange.Rows.Count - 1
    If lastRow >= 2 Then
        data = listSheet.Range(listSheet.Cells(2, 1), listSheet.Cells(lastRow, 3)).Value
        For r = LBound(data, 1) To UBound(data, 1)
            sheetName = CellText(data(r, 1))
            blockAddress = CellText(data(r, 2))
            expected = CellText(data(r, 3))
            If Len(sheetName) > 0 And Len(blockAddress) > 0 Then
                CheckBlock sheetName, blockAddress, expected, total, changed, listed
            End If
        Next r
    End If

    head = "重新计算完成。公式完整性检查：共" & CStr(total) & "个公式，" & CStr(changed) & "个被修改或覆盖"
    If changed > 0 Then
        head = head & vbLf & vbLf & "被修改或覆盖的单元格："
        head = head & listed
        If changed > MAX_LISTED Then
            head = head & vbLf & "……（另有" & CStr(changed - MAX_LISTED) & "个未列出）"
        End If
    End If
    XlcalcIntegrityReport = head
End Function

' The hidden sheet the compiler fills with the formula blocks.
Public Function FormulaListSheetName() As String
    FormulaListSheetName = "_公式"
End Function

' Check one block of the index; adds its cells to total and the bad ones to
' changed (and to the listed addresses).
Private Sub CheckBlock(ByVal sheetName As String, ByVal blockAddress As String, ByVal expected As String, _
                       ByRef total As Long, ByRef changed As Long, ByRef listed As String)
    Dim ws As Object, block As Object, cell As Object
    Dim nRows As Long, nCols As Long, n As Long, i As Long, j As Long, k As Long
    Dim r1c1() As String, bad() As Boolean, hasF() As Boolean
    Dim reference As String

    Set ws = FindSheet(sheetName)
    If Not ws Is Nothing Then Set block = RangeOrNothing(ws, blockAddress)
    If block Is Nothing Then
        ' The sheet or the range is gone: the whole block counts as one changed entry.
        total = total + 1
        NoteChanged changed, listed, sheetName & "!" & blockAddress
        Exit Sub
    End If

    nRows = block.Rows.Count
    nCols = block.Columns.Count
    n = nRows * nCols
    ReDim r1c1(1 To n)
    ReDim bad(1 To n)
    ReDim hasF(1 To n)
    k = 0
    For i = 1 To nRows
        For j = 1 To nCols
            k = k + 1
            Set cell = block.Cells(i, j)
            hasF(k) = CBool(cell.HasFormula)
            If hasF(k) Then
                r1c1(k) = CStr(cell.FormulaR1C1)
            Else
                bad(k) = True
            End If
        Next j
    Next i

    If hasF(1) Then
        If NormalizeFormula(CStr(block.Cells(1, 1).Formula)) <> NormalizeFormula("=" & expected) Then
            bad(1) = True
        End If
    End If

    If Not bad(1) Then
        reference = r1c1(1)
        For k = 2 To n
            If hasF(k) And r1c1(k) <> reference Then bad(k) = True
        Next k
    ElseIf n > 1 Then
        reference = MajorityFormula(r1c1, hasF, hasF(1), r1c1(1))
        For k = 2 To n
            If hasF(k) And r1c1(k) <> reference Then bad(k) = True
        Next k
    End If

    k = 0
    For i = 1 To nRows
        For j = 1 To nCols
            k = k + 1
            total = total + 1
            If bad(k) Then NoteChanged changed, listed, sheetName & "!" & CellAddress(block, i, j)
        Next j
    Next i
End Sub

' The R1C1 formula shared by most cells 2..n of a block, leaving out cells
' whose formula is the (changed) first cell's; "" when there is none.
Private Function MajorityFormula(r1c1() As String, hasF() As Boolean, ByVal skipFirst As Boolean, _
                                 ByVal firstFormula As String) As String
    Dim a As Long, b As Long, votes As Long, best As Long
    Dim n As Long
    n = UBound(r1c1)
    best = 0
    MajorityFormula = ""
    For a = 2 To n
        If hasF(a) And Not (skipFirst And r1c1(a) = firstFormula) Then
            votes = 0
            For b = 2 To n
                If hasF(b) And r1c1(b) = r1c1(a) Then votes = votes + 1
            Next b
            If votes > best Then
                best = votes
                MajorityFormula = r1c1(a)
            End If
        End If
    Next a
End Function

' Count one changed cell and remember its address if fewer than MAX_LISTED are listed.
Private Sub NoteChanged(ByRef changed As Long, ByRef listed As String, ByVal where As String)
    changed = changed + 1
    If changed <= MAX_LISTED Then listed = listed & vbLf & where
End Sub

' The relative A1 address ("C5") of cell (i, j) of a block.
Private Function CellAddress(ByVal block As Object, ByVal i As Long, ByVal j As Long) As String
    CellAddress = Replace(CStr(block.Cells(i, j).Address), "$", "")
End Function

' ws.Range(address), or Nothing when the address is not valid.
Private Function RangeOrNothing(ByVal ws As Object, ByVal address As String) As Object
    Dim found As Object
    On Error Resume Next
    Set found = ws.Range(address)
    If Err.Number <> 0 Then Set found = Nothing
    Err.Clear
    On Error GoTo 0
    Set RangeOrNothing = found
End Function

' The worksheet of this workbook with that name, or Nothing.
Private Function FindSheet(ByVal sheetName As String) As Object
    Dim ws As Object
    For Each ws In ThisWorkbook.Worksheets
        If ws.Name = sheetName Then
            Set FindSheet = ws
            Exit Function
        End If
    Next ws
    Set FindSheet = Nothing
End Function

' A cell value of the index as text ("" for an empty cell or an error value).
Private Function CellText(ByVal value As Variant) As String
    If IsError(value) Or IsEmpty(value) Or IsNull(value) Then
        CellText = ""
    Else
        CellText = CStr(value)
    End If
End Function

' Formula text as compared: every "'" dropped (Excel drops the quotes around
' sheet names that do not need them when it reads a formula back), no
' "_xlfn." prefix (Range.Formula shows none), case ignored.
Private Function NormalizeFormula(ByVal text As String) As String
    NormalizeFormula = LCase(Replace(Replace(text, "'", ""), "_xlfn.", ""))
End Function
